"""examples/nas_optuna.py for a few trials against a real server, with each candidate builder there is."""
from __future__ import annotations

import contextlib
import io
import os
import sys
import unittest

from convlat_server import PLATFORM, SOURCE_DIR, ConvlatServer

sys.path.insert(0, os.path.join(SOURCE_DIR, "examples"))
import nas_optuna  # noqa: E402


class NasExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ConvlatServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run_example(self, *args: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = nas_optuna.main(["--server", self.server.address, "--platform", PLATFORM, *args])
        self.assertEqual(code, 0, out.getvalue())
        return out.getvalue()

    def test_layer_list_candidates(self):
        out = self.run_example("--budget_ms", "1000", "--trials", "4", "--batch", "2", "--builder", "layers")
        self.assertIn("4 trials (layers candidates), 4 under 1000.0 ms", out)
        self.assertIn("M parameters", out)

    def test_torch_candidates(self):
        if not nas_optuna.torch_available():
            self.skipTest("PyTorch (python3-torch) is not installed; the torch builder needs it")
        out = self.run_example("--budget_ms", "1000", "--trials", "3", "--batch", "3", "--builder", "torch")
        self.assertIn("3 trials (torch candidates), 3 under 1000.0 ms", out)

    def test_a_tiny_budget_finds_nothing_and_says_so(self):
        out = self.run_example("--budget_ms", "0.001", "--trials", "3", "--builder", "layers")
        self.assertIn("0 under 0.001 ms", out)
        self.assertIn("no candidate under the budget", out)

    def test_unknown_platform_is_an_error_exit(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = nas_optuna.main(["--server", self.server.address, "--platform", "no-such-gpu",
                                    "--budget_ms", "1", "--trials", "2", "--builder", "layers"])
        self.assertEqual(code, 1)
        self.assertIn("no-such-gpu", err.getvalue())


if __name__ == "__main__":
    unittest.main()
