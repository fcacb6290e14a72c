"""Every active account aggregated (docs/figures.md, "All accounts"): the PnL endpoints'
default. Two accounts with known ledgers and snapshots; each aggregate is computed here from
those inputs (the venue-shaped payloads and income rows), never through apps.pnl.selectors."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from rest_framework.test import APIClient

from apps.core.timeutil import DAY_MS, to_ms, utcnow
from apps.exchange import reports
from apps.exchange.services import account_active_set, account_add
from apps.pnl import services
from apps.pnl.models import AccountSnapshot, IncomeRow, LedgerCheck
from tests.pnl.conftest import DESK_API_KEY
from tests.support.fake_binance import account_payload, income_row, position

pytestmark = pytest.mark.django_db
HOUR = 3_600_000
E8 = Decimal("1E-8")
MONEY = "realized_pnl unrealized_pnl total_pnl commission funding initial_margin".split()


def q8(value: Decimal) -> str:
    return format(value.quantize(E8, rounding=ROUND_HALF_EVEN), "f")


def pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(E8, rounding=ROUND_HALF_EVEN) if whole > 0 else Decimal(0)


@pytest.fixture
def api(django_user_model):
    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("u", password="pw-long-1"))
    return client


def _book(account, now: int, rows: list[dict], positions: list[dict], wallet_start: str) -> dict:
    """Store a ledger and a snapshot as a poll would; the inputs are what the tests sum."""
    services.income_rows_store(account=account, rows=reports.income_page_parse(rows))
    wallet = Decimal(wallet_start) + sum((Decimal(r["income"]) for r in rows), Decimal(0))
    payload = account_payload(wallet=str(wallet), positions=positions)
    services.snapshot_store(account=account, state=reports.account_parse(payload), exchange_ms=now)
    return {"account": account, "rows": rows, "payload": payload, "now": now}


def _add(name: str, base_url: str = "http://127.0.0.1:9"):
    return account_add(
        name=name, base_url=base_url, api_key=DESK_API_KEY, api_secret="s" * 64, paper=True
    )


@pytest.fixture
def two():
    """Two accounts, both holding BTCUSDT (opposite sides), each with its own other symbol."""
    now = to_ms(utcnow())
    a = _book(
        _add("desk-a"),
        now - 2000,  # polled 2 s before b: the aggregate's as_of is a's
        [
            income_row(1, now - 100 * HOUR, "TRANSFER", "10000", symbol=""),
            income_row(2, now - 3 * HOUR, "REALIZED_PNL", "30.5", trade_id="8"),
            income_row(3, now - 3 * HOUR, "COMMISSION", "-0.5", trade_id="8"),
            income_row(4, now - 2 * HOUR, "FUNDING_FEE", "-1.25", symbol="ETHUSDT"),
            income_row(5, now - 50 * HOUR, "REALIZED_PNL", "100", symbol="ETHUSDT"),
        ],
        [
            position("BTCUSDT", "-0.01", "40000", "40100", leverage=10),
            position("ETHUSDT", "0.5", "2000", "2050", leverage=5),
        ],
        "0",
    )
    b = _book(
        _add("desk-b"),
        now,
        [
            income_row(1, now - 200 * HOUR, "TRANSFER", "5000", symbol=""),
            income_row(2, now - HOUR, "REALIZED_PNL", "-12", trade_id="3"),
            income_row(3, now - HOUR, "COMMISSION", "-0.75", trade_id="3"),
            income_row(4, now - HOUR, "REALIZED_PNL", "7.25", symbol="SOLUSDT", trade_id="4"),
        ],
        [position("BTCUSDT", "0.02", "40050", "40100", leverage=20)],
        "0",
    )
    return [a, b]


def _expected_rows(book: dict, start_ms: int | None) -> dict[str, dict]:
    """One account's rows computed from its payloads (docs/figures.md, "Per symbol")."""
    rows = [r for r in book["rows"] if start_ms is None or r["time"] >= start_ms]
    wallet = Decimal(book["payload"]["totalWalletBalance"])
    base = wallet - sum(
        (Decimal(r["income"]) for r in rows if r["incomeType"] != "TRANSFER"), Decimal(0)
    )
    out: dict[str, dict] = defaultdict(
        lambda: {f: Decimal(0) for f in MONEY} | {"trades": 0, "pct_u": Decimal(0)}
    )
    for r in rows:
        if not r["symbol"]:
            continue
        s = out[r["symbol"]]
        amount = Decimal(r["income"])
        if r["incomeType"] == "REALIZED_PNL":
            s["realized_pnl"] += amount
            s["trades"] += 1
        elif r["incomeType"] == "COMMISSION":
            s["commission"] += amount
        elif r["incomeType"] == "FUNDING_FEE":
            s["funding"] += amount
    for p in book["payload"]["positions"]:
        s = out[p["symbol"]]
        s["unrealized_pnl"] = Decimal(p["unrealizedProfit"])
        s["initial_margin"] = Decimal(p["positionInitialMargin"])
        s["pct_u"] = pct(s["unrealized_pnl"], s["initial_margin"])
    for s in out.values():
        s["total_pnl"] = s["realized_pnl"] + s["unrealized_pnl"]
        s["reward"] = s["pct_u"] + pct(s["realized_pnl"], base)
    return dict(out)


def test_it_sums_every_active_account_by_default(api, two):
    board = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert api.get("/api/rl-dashboard/", {"window": "24h", "account": "all"}).json() == board
    assert board["status"] == "ok", board["message"]
    assert "desk-a" in board["message"] and "desk-b" in board["message"]
    expected = {
        (b["account"].name, symbol): row
        for b in two
        for symbol, row in _expected_rows(b, b["now"] - 24 * HOUR).items()
    }
    got = {(r["account"], r["symbol"]): r for r in board["symbols"]}
    # one row per account and symbol, sorted by symbol then account; BTCUSDT twice
    assert list(got) == sorted(expected, key=lambda k: (k[1], k[0]))
    ids = {b["account"].name: b["account"].id for b in two}
    for (name, symbol), exp in expected.items():
        row = got[(name, symbol)]
        assert row["account_id"] == ids[name]
        for field in MONEY:
            assert row[field] == q8(exp[field]), (name, symbol, field)
        assert row["realized_trades"] == exp["trades"] and row["reward"] == q8(exp["reward"])
    totals = board["totals"]
    for field in MONEY:
        assert totals[field] == q8(sum((e[field] for e in expected.values()), Decimal(0))), field
    for field, payload_field in (
        ("wallet_balance", "totalWalletBalance"),
        ("equity", "totalMarginBalance"),
        ("available_balance", "availableBalance"),
    ):
        total = sum((Decimal(b["payload"][payload_field]) for b in two), Decimal(0))
        assert totals[field] == q8(total), field
    net = sum((e["realized_pnl"] + e["commission"] + e["funding"] for e in expected.values()), 0)
    assert totals["net_pnl"] == q8(net)
    assert totals["realized_trades"] == sum(e["trades"] for e in expected.values())
    best = min(expected, key=lambda k: (-expected[k]["reward"], k[1], k[0]))
    assert (board["best_performer_account"], board["best_performer"]) == best
    rewards = [e["reward"] for e in expected.values()]
    assert board["avg_reward"] == q8(sum(rewards, Decimal(0)) / len(rewards))
    # as_of: the older of the two last polls; the window starts 24 h before it
    a_time = datetime.fromtimestamp(two[0]["now"] / 1000, UTC)
    assert board["as_of"] == a_time.isoformat().replace("+00:00", "Z")


def test_each_account_alone_is_its_own_rows(api, two):
    both = api.get("/api/rl-dashboard/", {"window": "all"}).json()
    for book in two:
        alone = api.get("/api/rl-dashboard/", {"window": "all", "account": book["account"].id})
        rows = alone.json()["symbols"]
        assert {r["account"] for r in rows} == {book["account"].name}
        assert rows == [r for r in both["symbols"] if r["account"] == book["account"].name]


def test_it_leaves_out_an_inactive_account_and_still_answers_for_it(api, two):
    a, b = (book["account"] for book in two)
    account_active_set(account_id=b.id, active=False)
    board = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert {r["account"] for r in board["symbols"]} == {"desk-a"}
    assert board["totals"]["wallet_balance"] == q8(Decimal(two[0]["payload"]["totalWalletBalance"]))
    alone = api.get("/api/rl-dashboard/", {"window": "24h", "account": b.id}).json()
    assert {r["account"] for r in alone["symbols"]} == {"desk-b"}


def test_an_account_without_a_poll_makes_the_aggregate_stale_and_is_named(api, two):
    _add("desk-new")
    board = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert board["status"] == "stale"
    assert "desk-new has no successful poll yet" in board["message"]
    wallets = sum((Decimal(b["payload"]["totalWalletBalance"]) for b in two), Decimal(0))
    assert board["totals"]["wallet_balance"] == q8(wallets)


def test_no_active_account_is_no_data(api):
    board = api.get("/api/rl-dashboard/", {"account": "all"}).json()
    assert board["status"] == "no_data" and board["message"] == "No exchange account is active."
    assert api.get("/api/pnl/equity/", {"account": "all"}).json() == {"points": []}


def test_it_takes_all_in_any_case_and_refuses_what_is_neither_all_nor_an_id(api, two):
    assert api.get("/api/rl-dashboard/", {"account": "ALL"}).status_code == 200
    for value in ["0", "-1", "1.5", "a", "9" * 30, "all,1"]:
        answer = api.get("/api/rl-dashboard/", {"account": value})
        assert answer.status_code == 400, value
        assert answer.json()["account"] == [
            f'An account is "all" or an account id (a positive integer), not {value!r}.'
        ]


@pytest.mark.parametrize(
    "url",
    ["/api/rl-dashboard/", "/api/pnl/daily/", "/api/pnl/equity/", "/api/pnl/ledger-check/"],
)
def test_it_names_an_unknown_account_and_the_choices(api, two, url):
    answer = api.get(url, {"account": "424242"})
    assert answer.status_code == 400
    assert answer.json()["account"] == [
        'No exchange account with id 424242 (GET /api/accounts/ lists them; "all" aggregates '
        "every active one)."
    ]


def test_the_daily_aggregate_is_the_accounts_rows_summed_per_day(api, two):
    days = api.get("/api/pnl/daily/", {"days": 14}).json()["days"]
    expected: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for book in two:
        for r in book["rows"]:
            if not r["symbol"] or r["incomeType"] == "TRANSFER":
                continue
            day = datetime.fromtimestamp(r["time"] // DAY_MS * 86_400, UTC).date().isoformat()
            expected[day][r["incomeType"]] += Decimal(r["income"])
            expected[day]["trades"] += r["incomeType"] == "REALIZED_PNL"
    assert days[-1]["date"] == datetime.fromtimestamp(two[1]["now"] / 1000, UTC).date().isoformat()
    for day in days:
        exp = expected.get(day["date"], defaultdict(Decimal))
        assert day["realized_pnl"] == q8(exp["REALIZED_PNL"]), day
        assert day["commission"] == q8(exp["COMMISSION"]) and day["funding"] == q8(
            exp["FUNDING_FEE"]
        )
        net = exp["REALIZED_PNL"] + exp["COMMISSION"] + exp["FUNDING_FEE"]
        assert day["net_pnl"] == q8(net) and day["trades"] == exp["trades"]
    assert sum(Decimal(d["realized_pnl"]) for d in days) == Decimal("125.75")


def _snapshot(account, ms: int, wallet: str, btc: tuple[str, str, str] | None = None) -> None:
    positions = [position("BTCUSDT", *btc, leverage=10)] if btc else []
    payload = account_payload(wallet=wallet, positions=positions)
    services.snapshot_store(account=account, state=reports.account_parse(payload), exchange_ms=ms)


def test_the_equity_aggregate_carries_each_accounts_last_snapshot(api, settings):
    settings.PNL_POLL_INTERVAL_SECONDS = 15
    a, b = _add("desk-a"), _add("desk-b")
    t0 = (to_ms(utcnow()) // 15_000 - 20) * 15_000
    _snapshot(a, t0 - 25 * HOUR, "900")  # before the 24 h window: a's value at its start
    _snapshot(a, t0 + 1_000, "1000")
    _snapshot(b, t0 + 3_000, "500")  # same interval as a's: one point, both in it
    _snapshot(a, t0 + 16_000, "1010")  # next interval: b carried
    _snapshot(b, t0 + 47_000, "480")  # two intervals later
    points = api.get("/api/pnl/equity/", {"window": "24h"}).json()["points"]

    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")

    assert [(p["time"], p["wallet_balance"]) for p in points] == [
        (iso(t0 + 3_000), q8(Decimal(1500))),
        (iso(t0 + 16_000), q8(Decimal(1510))),
        (iso(t0 + 47_000), q8(Decimal(1490))),
    ]
    # the seed counts: a window whose first point holds only b's snapshot still has a's value
    _snapshot(b, t0 + 25 * HOUR, "470")
    first = api.get("/api/pnl/equity/", {"window": "24h"}).json()["points"][0]
    assert first["wallet_balance"] == q8(Decimal(1480))  # a's 1010 carried in, b's 470


def test_the_history_aggregate_sums_the_symbol_and_its_reward_from_the_sums(api, two):
    history = api.get("/api/rl-dashboard/history/BTCUSDT/", {"window": "24h"}).json()
    last = history["points"][-1]
    btc = [next(p for p in b["payload"]["positions"] if p["symbol"] == "BTCUSDT") for b in two]
    unrealized = sum((Decimal(p["unrealizedProfit"]) for p in btc), Decimal(0))
    margin = sum((Decimal(p["positionInitialMargin"]) for p in btc), Decimal(0))
    end = two[1]["now"]  # the newest poll ends the window
    realized = sum(
        (
            Decimal(r["income"])
            for b in two
            for r in b["rows"]
            if r["symbol"] == "BTCUSDT"
            and r["incomeType"] == "REALIZED_PNL"
            and end - 24 * HOUR <= r["time"] <= end
        ),
        Decimal(0),
    )
    base = Decimal(0)  # each account's base over its own window (docs/figures.md)
    for b in two:
        start = b["now"] - 24 * HOUR
        wallet = Decimal(b["payload"]["totalWalletBalance"])
        base += wallet - sum(
            (
                Decimal(r["income"])
                for r in b["rows"]
                if r["incomeType"] != "TRANSFER" and r["time"] >= start
            ),
            Decimal(0),
        )
    assert last["unrealized_pnl"] == q8(unrealized)
    assert last["realized_pnl"] == q8(realized)
    assert last["reward"] == q8(pct(unrealized, margin) + pct(realized, base))


def test_the_ledger_check_aggregate_is_the_worst_and_names_each_account(
    api, fake_binance, fake_venue, redis_client
):
    now = fake_venue.now_ms
    fake_venue.rows = [income_row(1, now - 2 * HOUR, "COMMISSION", "-0.25")]
    fake_venue.rows.append(income_row(2, now - HOUR, "REALIZED_PNL", "3", trade_id="5"))
    fake_venue.rows.append(income_row(3, now - HOUR // 2, "COMMISSION", "-0.5"))
    # two desk accounts on the same venue account: both ledgers are that venue's records
    a, b = _add("desk-a", fake_binance.base_url), _add("desk-b", fake_binance.base_url)
    for account in (a, b):
        services.account_poll(account_id=account.id)
    services.ledger_verify(account=a)
    body = api.get("/api/pnl/ledger-check/").json()
    assert body["status"] == "never"  # b was never checked
    services.ledger_verify(account=b)
    body = api.get("/api/pnl/ledger-check/").json()
    assert body["status"] == "match" and body["differences"] == []
    sides = ("exchange", "ledger", "rollup")
    assert body["income"] == [
        {
            "income_type": kind,
            **{f"{side}_count": count for side in sides},
            **{f"{side}_sum": total for side in sides},
        }
        for kind, count, total in (
            ("COMMISSION", 4, "-1.50000000"),
            ("REALIZED_PNL", 2, "6.00000000"),
        )
    ]
    IncomeRow.objects.filter(account=b, tran_id=2).delete()
    services.ledger_verify(account=b)
    LedgerCheck.objects.filter(account=a).update(checked_at=utcnow() - timedelta(seconds=40))
    body = api.get("/api/pnl/ledger-check/").json()
    assert body["status"] == "differs" and 40 <= body["age_seconds"] <= 43
    assert {(d["account"], d["figure"]) for d in body["differences"]} == {
        ("desk-b", "count"),
        ("desk-b", "sum"),
    }
    assert api.get("/api/pnl/ledger-check/", {"account": a.id}).json()["status"] == "match"


def test_the_aggregate_is_kept_per_set_of_account_boards(api, two, django_assert_max_num_queries):
    first = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    # session user, active accounts, their snapshots (2), their ledger versions: no sums
    with django_assert_max_num_queries(6):
        again = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert again == first
    # a rename is an input of the rows: the next answer has the new name
    a = two[0]["account"]
    a.name = "desk-renamed"
    a.save(update_fields=["name"])
    renamed = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    assert "desk-renamed" in {r["account"] for r in renamed["symbols"]}
    assert "desk-a" not in {r["account"] for r in renamed["symbols"]}
    # a new poll of one account: the aggregate follows it
    newer = AccountSnapshot.objects.filter(account=a).latest("exchange_time").exchange_time
    payload = account_payload(wallet="1", positions=[])
    services.snapshot_store(
        account=a,
        state=reports.account_parse(payload),
        exchange_ms=to_ms(newer) + 1000,
    )
    polled = api.get("/api/rl-dashboard/", {"window": "24h"}).json()
    b_wallet = Decimal(two[1]["payload"]["totalWalletBalance"])
    assert polled["totals"]["wallet_balance"] == q8(b_wallet + 1)
