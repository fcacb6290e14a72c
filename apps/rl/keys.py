"""Redis names of the RL context. The reward history key itself is apps.core.keys.rl_history
(the old desk's name); the PnL tracker also writes dashboard-reward points there, so members
carry a `kind` ("trade" for ours) and readers filter on it."""

RL_STATS = "quantum:rl:stats:{symbol}"  # hash: rolling reward statistics of the monitor (JSON)


def rl_stats(symbol: str) -> str:
    return RL_STATS.format(symbol=symbol.upper())
