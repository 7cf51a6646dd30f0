"""A real convlat-server for the Python tests: a throwaway SQLite store, a free port, the T4 seeded."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

import convlat

BINARY_DIR = os.environ.get("CONVLAT_BINARY_DIR", "build")
SOURCE_DIR = os.environ.get("CONVLAT_SOURCE_DIR", ".")
PLATFORM = "gpu-t4"  # the public NeuSight T4 data shipped in data/public


class ConvlatServer:
    """Starts convlat-server on 127.0.0.1:0 seeded with gpu-t4 and waits until its model is fitted."""

    def __init__(self, fit_timeout_s: float = 300.0):
        self.dir = tempfile.mkdtemp(prefix="convlat-python-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        self.process = subprocess.Popen(
            [os.path.join(BINARY_DIR, "server", "convlat-server"), "--listen=127.0.0.1:0", "--metrics=",
             f"--db={os.path.join(self.dir, 'convlat.db')}", f"--port_file={port_file}",
             f"--seed_public_data={os.path.join(SOURCE_DIR, 'data', 'public')}", f"--seed_platforms={PLATFORM}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + fit_timeout_s
        port = self._read_port(port_file, deadline)
        self.address = f"127.0.0.1:{port}"
        with convlat.Client(self.address) as client:
            while not any(p.name == PLATFORM and p.model_ready for p in client.platforms()):
                self._check_alive(deadline, "fit the gpu-t4 model")
                time.sleep(0.2)

    def _check_alive(self, deadline: float, doing: str) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"convlat-server exited ({self.process.returncode}); see {self.log.name}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"convlat-server did not {doing} in time; see {self.log.name}")

    def _read_port(self, port_file: str, deadline: float) -> int:
        while True:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    words = f.read().split()
                if words and words[0].isdigit() and int(words[0]) > 0:
                    return int(words[0])
            self._check_alive(deadline, "listen")
            time.sleep(0.05)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
