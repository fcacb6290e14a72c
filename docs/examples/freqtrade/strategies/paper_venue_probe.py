"""A freqtrade strategy that trades often, to exercise the paper exchange (not to make money).

Long on every even minute's candle, exit signal on every odd one; a small ROI and stoploss so
that some trades leave by ROI and by the stop order resting on the venue.
"""

from datetime import datetime

from freqtrade.strategy import IStrategy
from pandas import DataFrame


class PaperVenueProbe(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = False
    minimal_roi = {"0": 0.002}
    stoploss = -0.002
    startup_candle_count = 0
    process_only_new_candles = True
    use_exit_signal = True
    order_types = {
        "entry": "market",
        "exit": "market",
        "stoploss": "market",
        "stoploss_on_exchange": True,
        "stoploss_on_exchange_interval": 10,
    }

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe["minute"] = dataframe["date"].dt.minute
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["minute"] % 2 == 0, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        dataframe.loc[dataframe["minute"] % 2 == 1, "exit_long"] = 1
        return dataframe

    def leverage(
        self,
        pair: str,
        current_time: datetime,
        current_rate: float,
        proposed_leverage: float,
        max_leverage: float,
        entry_tag: str | None,
        side: str,
        **kwargs,
    ) -> float:
        return 3.0
