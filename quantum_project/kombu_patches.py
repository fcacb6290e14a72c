"""Two patches to kombu's Redis transport (kombu 5.7.0, the newest release), applied by
quantum_project/celery.py before any connection exists.

The crash: on a broker connection loss the worker's consumer runs `connection.collect()` and
then `connection.close()`. collect() closes the channels and then detaches the transport
(`transport.client = None`). When Redis is still down, closing one channel raises a connection
error that aborts the loop, so a channel can survive collect() unclosed: the task channel does
when its BRPOP was in flight (its first close re-reads that BRPOP and fails before getting
anywhere). close() then closes that channel for real; with an unacknowledged message on it
(an acks_late task running, or one reserved), kombu restores it through a new connection pool,
built from `transport.client`, now None: `AttributeError: 'NoneType' object has no attribute
'hostname'` in `_connparams`. An AttributeError is no connection error, so Celery's handler
lets it through and the worker exits ("Unrecoverable error"). Whether the loss is first seen
on the BRPOP socket (no crash) or on another one (crash) is a race: one Redis restart in seven.

The fix: a pool asked of a detached transport fails with redis' ConnectionError, which is what
it is (there is no broker connection to restore through). kombu and Celery already handle
that error on this path: the close finishes, the worker reconnects, and the message, still
in Redis' unacked hash, is redelivered after the visibility timeout, as when Redis is down at
the moment of a restore. tests/ops/test_broker_restart.py reproduces the crash without this.

The cost: every publish, ack and unacked-bookkeeping step asks the channel for a client, and
kombu builds a new `redis.Redis` each time (`conn_or_acquire`, `pipe_or_acquire`). A client owns
no connection (the channel's pool does), but building one copies its ~170 response callbacks:
0.1-0.5 ms, several times per task in the worker and once per send in a producer, the largest
cost of our app over bare Celery after the task events (docs/operations.md, "Benchmarks"). The
fix: one client per channel and pool, built again if the pool is replaced. A redis-py client
over a pool is safe to share between threads (each command takes a connection from the pool).
The asynchronous client (the BRPOP/LISTEN one) is kombu's own, cached already.
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

_connparams = kombu_redis.Channel._connparams
_create_client = kombu_redis.Channel._create_client


def _connparams_of_an_attached_transport(self, asynchronous=False):
    if self.connection.client is None:
        raise RedisConnectionError("the kombu connection is closed: no broker to talk to")
    return _connparams(self, asynchronous=asynchronous)


def _one_client_per_pool(self, asynchronous=False):
    if asynchronous:
        return _create_client(self, asynchronous=True)
    pool = self.pool
    cached = self.__dict__.get("_quantum_client")
    if cached is None or cached[0] is not pool:
        cached = (pool, _create_client(self))
        self.__dict__["_quantum_client"] = cached
    return cached[1]


def apply() -> None:
    if kombu_redis.Channel._connparams is not _connparams_of_an_attached_transport:
        kombu_redis.Channel._connparams = _connparams_of_an_attached_transport
    if kombu_redis.Channel._create_client is not _one_client_per_pool:
        kombu_redis.Channel._create_client = _one_client_per_pool
