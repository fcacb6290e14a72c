"""Cross-margin liquidation when the margin balance falls below maintenance margin."""

from decimal import Decimal

from tests.support.paper_exchange import last_price, market, wallet


def test_it_liquidates_when_margin_balance_falls_below_maintenance(venue):
    client = venue.client(venue.create_account("reckless", balance="100"))
    client.futures_change_leverage(symbol="BTCUSDT", leverage=125)
    price = last_price(client, "BTCUSDT")
    qty = (Decimal(9000) / price).quantize(Decimal("0.001"))
    market(client, "BTCUSDT", "BUY", str(qty))
    venue.set_price("BTCUSDT", str((price * Decimal("0.985")).quantize(Decimal("0.1"))))
    assert client.futures_position_information(symbol="BTCUSDT") == []
    orders = client.futures_get_all_orders(symbol="BTCUSDT")
    assert orders[-1]["clientOrderId"].startswith("autoclose-")
    assert wallet(client) >= 0
    kinds = {r["incomeType"] for r in client.futures_income_history(limit=1000)}
    assert "REALIZED_PNL" in kinds
