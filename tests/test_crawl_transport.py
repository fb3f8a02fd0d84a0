"""The crawl's async HTTP transport: cheap liveness checks that still notice a closed connection."""

from __future__ import annotations

import asyncio

import httpx

from crawl.transport import async_http_transport


async def _server_closing_after_each_answer() -> tuple[asyncio.Server, list[int]]:
    connections: list[int] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        # HTTP/1.1 without "Connection: close": the client keeps the connection for reuse...
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # ...but the server drops it once idle, as keep-alive timeouts do.

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, connections


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    async def scenario() -> tuple[list[str], int]:
        server, connections = await _server_closing_after_each_answer()
        port = server.sockets[0].getsockname()[1]
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        bodies = []
        async with (
            server,
            httpx.AsyncClient(transport=async_http_transport(httpx.create_ssl_context(), limits)) as client,
        ):
            for _ in range(3):
                response = await client.get(f"http://127.0.0.1:{port}/")
                bodies.append(response.text)
                await asyncio.sleep(0.05)  # the server's FIN arrives meanwhile
        return bodies, len(connections)

    bodies, connections = asyncio.run(scenario())
    assert bodies == ["ok", "ok", "ok"]
    assert connections == 3  # each request found its idle connection closed and opened another


def test_connections_the_server_keeps_open_are_reused() -> None:
    async def scenario() -> int:
        connections: list[int] = []

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            while True:
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    break
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
        async with (
            server,
            httpx.AsyncClient(transport=async_http_transport(httpx.create_ssl_context(), limits)) as client,
        ):
            for _ in range(5):
                assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
        return len(connections)

    assert asyncio.run(scenario()) == 1
