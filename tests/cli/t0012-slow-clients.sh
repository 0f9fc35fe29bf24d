#!/bin/sh
# Slow clients (slowloris) from one address do not starve the others; idle connections time out.
. "$(dirname "$0")/lib.sh"

mkparty relay
RELAY_ARGS="--max-connections 40 --max-per-ip 10 --timeout 3" start_relay relay
PORT=$(cat relay.port)
# 45 connections (more than the relay takes in all) from 127.0.0.2 that send half a request line and then nothing
python3 - "$PORT" <<'PY' &
import socket, sys, time
socks = []
for i in range(45):
    try:
        s = socket.socket(); s.bind(('127.0.0.2', 0)); s.connect(('127.0.0.1', int(sys.argv[1])))
        s.send(b'GET /v1/health HTTP/1.1\r\nHost: x\r\n')
        socks.append(s)
    except OSError:
        pass
time.sleep(6)
PY
SLOW=$!
sleep 1
# a client from another address is served at once
start=$(date +%s%N)
p 0 api --relay "http://127.0.0.1:$PORT" GET /v1/health
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt $((2000 * ${PARLEY_TIME_FACTOR:-1})) ] || fail "a normal client waited $ms ms"
wait $SLOW
# the slow connections were dropped: the relay is still healthy
p 0 api --relay "http://127.0.0.1:$PORT" GET /v1/health
stop_relay
done_ok
