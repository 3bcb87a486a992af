"""What the load, abuse and soak scripts share: starting the local server and reading a process's memory."""
import os
import re
import subprocess
import threading


def start_local_server(binary, name, **env):
    """Starts `binary --port 0` (local mode) and returns (process, port) once it prints its base URL.

    `env` adds environment variables (LOG_LEVEL defaults to ERROR). Both pipes are drained for as
    long as the process lives, so a chatty server can never block on a full pipe.
    """
    environment = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    environment["LOG_LEVEL"] = "ERROR"
    environment.update({key: str(value) for key, value in env.items()})
    proc = subprocess.Popen([binary, "--port", "0"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
    if not match:
        proc.kill()
        raise SystemExit(f"{name}: the server did not print its base URL: {line!r} {proc.stderr.read()[:500]!r}")
    for stream in (proc.stdout, proc.stderr):
        threading.Thread(target=lambda s=stream: [None for _ in iter(lambda: s.read(65536), b"")], daemon=True).start()
    return proc, int(match.group(1))


def read_memory(pid):
    """(VmRSS, VmHWM) of `pid` in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                values[name] = int(value.split()[0])
    return values["VmRSS"], values["VmHWM"]


def stop(proc):
    """Asks `proc` to exit (SIGTERM) and kills it if it has not within 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
