#!/usr/bin/env python3
"""A counting proxy for the Docker Engine API, for bench/scale.sh.

    bench/callcount.py LISTEN.sock [ENGINE.sock] &   # then DOCKER_HOST=unix://LISTEN.sock phi ...
    kill -USR1 <pid>    # print the counts so far (and reset them) on stderr
    kill -TERM <pid>    # print them and stop

Counts every request by method and path (IDs and the API version folded), and the most
connections open at once (the client's concurrency). Bytes pass through unchanged."""
import asyncio, collections, os, re, signal, sys

LISTEN = sys.argv[1]
ENGINE = sys.argv[2] if len(sys.argv) > 2 else "/var/run/docker.sock"
REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/[^ ?]*)[^ ]* HTTP/1\.[01]\r\n")
counts = collections.Counter()
state = {"open": 0, "peak": 0}


def fold(path):
    path = re.sub(r"^/v\d+\.\d+", "", path)
    return re.sub(r"/[0-9a-f]{64}|/phi-[^/]+(?=/json)", "/{id}", path)


async def pipe(reader, writer, watch):
    try:
        while data := await reader.read(65536):
            if watch:
                for m in REQUEST.finditer(data):
                    counts[f"{m[1].decode()} {fold(m[2].decode())}"] += 1
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(client_r, client_w):
    state["open"] += 1
    state["peak"] = max(state["peak"], state["open"])
    try:
        engine_r, engine_w = await asyncio.open_unix_connection(ENGINE)
        await asyncio.gather(pipe(client_r, engine_w, True), pipe(engine_r, client_w, False))
    finally:
        state["open"] -= 1


def report(reset):
    total = sum(counts.values())
    lines = [f"{n:6d}  {k}" for k, n in counts.most_common()]
    lines.append(f"{total:6d}  requests in all; at most {state['peak']} connections at once")
    print("\n".join(lines), file=sys.stderr, flush=True)
    if reset:
        counts.clear()
        state["peak"] = state["open"]


async def main():
    if os.path.exists(LISTEN):
        os.unlink(LISTEN)
    server = await asyncio.start_unix_server(handle, LISTEN)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, report, True)
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    async with server:
        await stop
    report(False)
    os.unlink(LISTEN)


asyncio.run(main())
