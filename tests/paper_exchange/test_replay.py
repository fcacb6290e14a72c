"""--replay DIR: prices from Binance public-data kline files."""

from decimal import Decimal

START = 1_704_067_200_000  # 2024-01-01 00:00 UTC


def test_it_replays_binance_kline_files(venue_factory, tmp_path):
    data = tmp_path / "klines"
    data.mkdir()
    rows = [
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
        "taker_buy_volume,taker_buy_quote_volume,ignore"
    ]
    for i in range(600):
        close = 42000 + i
        rows.append(
            f"{START + i * 60_000},{close - 1}.0,{close + 5}.0,{close - 6}.0,{close}.0,"
            f"1.0,{START + i * 60_000 + 59_999},42000.0,10,0.5,21000.0,0"
        )
    (data / "BTCUSDT-1m-2024-01-01.csv").write_text("\n".join(rows) + "\n")
    venue = venue_factory("--replay", str(data))
    client = venue.client(venue.create_account("replayer"))
    now = client.futures_time()["serverTime"]
    assert START <= now < START + 600 * 60_000
    bars = client.futures_klines(symbol="BTCUSDT", interval="1m", startTime=START, limit=5)
    assert [b[0] for b in bars] == [START + i * 60_000 for i in range(5)]
    assert [Decimal(b[4]) for b in bars] == [Decimal(42000 + i) for i in range(5)]
    assert Decimal(bars[0][2]) == Decimal(42005) and Decimal(bars[0][3]) == Decimal(41994)
