"""Money and percentage settings are Decimals, parsed once when the settings load: a bad value
stops the process at start, naming the setting."""

import os
import subprocess
import sys
from decimal import Decimal

from tests.support.processes import ROOT


def test_money_and_percentage_settings_are_decimals(settings):
    for name in ("TRADING_ORDER_NOTIONAL", "TRADING_STOP_LOSS_PCT", "CROSS_EXCHANGE_ALARM_BPS"):
        assert isinstance(getattr(settings, name), Decimal), name


def test_a_bad_value_stops_the_process_naming_the_setting(tmp_path):
    env = {**os.environ, "TRADING_ORDER_NOTIONAL": "2OO", "QUANTUM_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "TRADING_ORDER_NOTIONAL='2OO' is not a decimal number" in result.stderr
