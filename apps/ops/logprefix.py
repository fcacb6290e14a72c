"""supervisord event listener: every program's output on the terminal, each line prefixed by the
program's name (what honcho did), so `make up` still reads as one interleaved log.

supervisord hands output over in chunks that may end mid-line; a partial line waits for its end
so two programs' lines never splice. The lines go to stderr, which the config points at
supervisord's stdout (stdout is the event protocol's channel).
"""

import sys

WIDTH = 16


def _headers(line: bytes) -> dict[str, str]:
    return dict(item.split(":", 1) for item in line.decode().split())


def main() -> None:
    # Bytes throughout: `len` counts bytes, and a chunk may end inside a UTF-8 character.
    pending: dict[str, bytes] = {}
    stdin, stdout, out = sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer
    while True:
        stdout.write(b"READY\n")
        stdout.flush()
        header_line = stdin.readline()
        if not header_line:
            return  # supervisord is gone
        headers = _headers(header_line)
        payload = stdin.read(int(headers["len"]))
        if headers["eventname"].startswith("PROCESS_LOG"):
            meta, _, data = payload.partition(b"\n")
            name = _headers(meta)["processname"]
            *lines, rest = (pending.pop(name, b"") + data).split(b"\n")
            if rest:
                pending[name] = rest
            if lines:
                prefix = f"{name:<{WIDTH}}| ".encode()
                out.write(b"".join(prefix + line + b"\n" for line in lines))
                out.flush()
        stdout.write(b"RESULT 2\nOK")
        stdout.flush()


if __name__ == "__main__":
    main()
