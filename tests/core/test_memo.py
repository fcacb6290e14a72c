"""apps.core.memo: values kept per key, the least recently used evicted past the bound."""

from apps.core.memo import Memo, memos_clear


def test_it_computes_once_per_key_and_evicts_the_least_recently_used():
    memo: Memo[str] = Memo(2)
    calls = []

    def compute(key):
        return lambda: calls.append(key) or f"value of {key}"

    assert memo.get_or_compute("a", compute("a")) == "value of a"
    assert memo.get_or_compute("a", compute("a")) == "value of a"
    memo.get_or_compute("b", compute("b"))
    memo.get("a")  # a is now the most recently used
    memo.get_or_compute("c", compute("c"))  # evicts b
    assert memo.get("b") is None and memo.get("a") == "value of a"
    assert calls == ["a", "b", "c"]


def test_memos_clear_empties_every_memo_of_the_process():
    one, two = Memo(4), Memo(4)
    one.put("k", 1)
    two.put("k", 2)
    memos_clear()
    assert one.get("k") is None and two.get("k") is None
