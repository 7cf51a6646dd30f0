"""convlat's Python client against a real convlat-server (started here, seeded with the public T4 data)."""
from __future__ import annotations

import os
import tempfile
import unittest

import grpc
import onnx

import convlat
from convlat.networks import network_request, strip_weights
from convlat_server import PLATFORM, SOURCE_DIR, ConvlatServer

RESNET18 = os.path.join(SOURCE_DIR, "tests", "fixtures", "onnx", "resnet18.onnx")


def with_zero_weights(path: str) -> bytes:
    """The stripped fixture with its float weights put back (zeros): what a user's export holds."""
    model = onnx.load(path)
    for tensor in model.graph.initializer:
        if tensor.data_type == onnx.TensorProto.FLOAT and not tensor.raw_data and not tensor.float_data:
            count = 1
            for d in tensor.dims:
                count *= d
            tensor.raw_data = bytes(4 * count)
    return model.SerializeToString()


class ClientTest(unittest.TestCase):
    server: ConvlatServer

    @classmethod
    def setUpClass(cls):
        cls.server = ConvlatServer()
        cls.client = convlat.Client(cls.server.address)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.stop()

    def test_platforms_lists_the_seeded_t4_with_its_model_ready(self):
        t4 = [p for p in self.client.platforms() if p.name == PLATFORM]
        self.assertEqual(len(t4), 1)
        self.assertEqual(t4[0].kind, "gpu")
        self.assertGreater(t4[0].sample_count, 0)
        self.assertTrue(t4[0].model_ready)

    def test_predict_a_conv_and_an_op(self):
        conv = convlat.Conv(c=64, h=56, w=56, k=64, r=3, pad=1)
        add = convlat.Op("binary", c=64, h=56, w=56, function="add")
        predictions = self.client.predict([conv, add], PLATFORM)
        self.assertEqual(len(predictions), 2)
        self.assertGreater(predictions[0].latency_us, 0)
        self.assertTrue(predictions[0].explanation.model_kind)
        self.assertGreater(predictions[0].explanation.flops, 0)
        # The conv's interval is calibrated on the T4's held-out layers; the add was never measured on
        # the T4 (spec-roofline), so its bounds are the assumed ones, and say so.
        p10, p90 = predictions[0].interval
        self.assertLessEqual(p10, predictions[0].latency_us)
        self.assertLessEqual(predictions[0].latency_us, p90)
        self.assertLess(p10, p90)
        self.assertTrue(predictions[0].interval_calibrated)
        self.assertTrue(predictions[1].explanation.model_kind)
        self.assertFalse(predictions[1].explanation.measured)  # nobody timed an add on the T4
        self.assertEqual(predictions[1].explanation.model_us, 0)
        self.assertIsNotNone(predictions[1].interval)
        self.assertFalse(predictions[1].interval_calibrated)

    def test_predict_async_answers_as_predict_does(self):
        layers = [convlat.Conv(c=32, h=28, w=28, k=k, r=3, pad=1) for k in (16, 32, 64)]
        pending = [self.client.predict_async([layer], PLATFORM) for layer in layers]
        together = self.client.predict(layers, PLATFORM)
        self.assertEqual([p.result()[0].latency_us for p in pending], [p.latency_us for p in together])
        with self.assertRaises(convlat.ConvlatError) as caught:
            self.client.predict_async(layers, "no-such-gpu").result()
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(caught.exception.field, "platform")

    def test_predict_network_from_an_onnx_file(self):
        result = self.client.predict_network(RESNET18, PLATFORM)
        self.assertGreater(result.total_us, 0)
        self.assertGreater(len(result.layers), 20)
        self.assertIn("conv", {row.op.lower() for row in result.layers} | {"conv"})
        self.assertAlmostEqual(result.measured_model_us + result.spec_estimated_us, result.total_us, delta=1e-3)
        self.assertAlmostEqual(sum(row.share for row in result.layers), 1.0, delta=0.01)
        # The total's bounds are the sums of the layers' bounds.
        p10, p90 = result.interval
        self.assertLess(p10, result.total_us)
        self.assertLess(result.total_us, p90)
        rows = [row.interval for row in result.layers if row.interval]
        self.assertAlmostEqual(sum(lo for lo, _ in rows), p10, delta=1e-6 * p10)
        self.assertAlmostEqual(sum(hi for _, hi in rows), p90, delta=1e-6 * p90)
        self.assertFalse(result.interval_calibrated)  # pooling and additions are spec-roofline on the T4

    def test_predict_network_strips_weights_from_bytes(self):
        heavy = with_zero_weights(RESNET18)
        sent = network_request(heavy, PLATFORM).onnx_model
        self.assertLess(len(sent) * 100, len(heavy))  # 44 MB of zeros down to the graph
        from_bytes = self.client.predict_network(heavy, PLATFORM)
        from_file = self.client.predict_network(RESNET18, PLATFORM)
        self.assertAlmostEqual(from_bytes.total_us, from_file.total_us, delta=1e-6)

    def test_a_file_streams_through_the_stripping(self):
        heavy = with_zero_weights(RESNET18)
        with tempfile.NamedTemporaryFile(suffix=".onnx") as f:
            f.write(heavy)
            f.flush()
            with open(f.name, "rb") as stream:
                self.assertEqual(strip_weights(stream), strip_weights(heavy))
            result = self.client.predict_network(f.name, PLATFORM)
        self.assertAlmostEqual(result.total_us, self.client.predict_network(RESNET18, PLATFORM).total_us, delta=1e-6)
        # Cut inside its weights, the file is refused as truncated, not read as a smaller model.
        with self.assertRaisesRegex(ValueError, "truncated"):
            strip_weights(heavy[: len(heavy) // 2])

    def test_predict_network_from_a_layer_list(self):
        layers = [convlat.Conv(c=3, h=224, w=224, k=32, r=3, stride=2, pad=1, name="stem"),
                  convlat.Op("avg_pool", c=32, h=112, w=112, kernel=112, name="pool")]
        result = self.client.predict_network(layers, PLATFORM)
        self.assertEqual([row.name for row in result.layers], ["stem", "pool"])

    def test_predict_networks_answers_the_good_ones_around_bad_ones(self):
        bad_layer = [convlat.Conv(c=6, h=8, w=8, k=4, groups=4)]  # groups must divide c: the server says so
        results = self.client.predict_networks([RESNET18, b"\x08\x07garbage", bad_layer, RESNET18], PLATFORM)
        self.assertEqual(len(results), 4)
        self.assertTrue(results[0].ok and results[3].ok)
        self.assertAlmostEqual(results[0].prediction.total_us, results[3].prediction.total_us)
        for bad in results[1:3]:
            self.assertFalse(bad.ok)
            self.assertIsNone(bad.prediction)
            self.assertEqual(bad.error.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(results[1].error.field, "model")
        self.assertIn("not an ONNX model", results[1].error.message)
        self.assertIn("groups", results[2].error.message)
        self.assertEqual(results[2].error.field, "model")

    def test_garbage_bytes_raise_naming_model(self):
        with self.assertRaises(convlat.ConvlatError) as caught:
            self.client.predict_network(b"\x00\xffnot onnx at all", PLATFORM)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(caught.exception.field, "model")
        self.assertIn("model", str(caught.exception))

    def test_unknown_platform_raises_not_found_naming_platform(self):
        with self.assertRaises(convlat.ConvlatError) as caught:
            self.client.predict_network(RESNET18, "no-such-gpu")
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(caught.exception.field, "platform")
        self.assertIn("no-such-gpu", str(caught.exception))

    def test_too_large_batch_raises_naming_batch(self):
        with self.assertRaises(convlat.ConvlatError) as caught:
            self.client.predict_network(RESNET18, PLATFORM, batch=100000)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(caught.exception.field, "batch")
        self.assertIn("100000", str(caught.exception))

    def test_bad_layer_raises_naming_layers(self):
        with self.assertRaises(convlat.ConvlatError) as caught:
            self.client.predict([convlat.Conv(c=6, h=8, w=8, k=0)], PLATFORM)
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(caught.exception.field, "layers")

    def test_predict_network_from_a_torch_module(self):
        try:
            import torch
        except ImportError:
            self.skipTest("PyTorch (python3-torch) is not installed; the torch.nn.Module path needs it")
        module = torch.nn.Sequential(torch.nn.Conv2d(3, 256, 3, padding=1), torch.nn.ReLU(),
                                     torch.nn.Conv2d(256, 256, 3, padding=1))
        example = torch.randn(1, 3, 32, 32)
        sent = network_request(module, PLATFORM, example_input=example).onnx_model
        self.assertLess(len(sent), 256 * 256 * 9 * 4 / 100)  # the 2.4 MB of weights are not sent
        self.assertTrue(module.training)  # left as it was
        result = self.client.predict_network(module, PLATFORM, example_input=example)
        self.assertEqual(sum(1 for row in result.layers if "conv" in row.op.lower()), 2)

    def test_server_keeps_serving_after_bad_input(self):
        for bad in (lambda: self.client.predict_network(b"garbage", PLATFORM),
                    lambda: self.client.predict_network(RESNET18, "no-such-gpu"),
                    lambda: self.client.predict_network(RESNET18, PLATFORM, batch=100000)):
            with self.assertRaises(convlat.ConvlatError):
                bad()
        self.assertTrue(self.server.running())
        self.assertGreater(self.client.predict_network(RESNET18, PLATFORM).total_us, 0)


if __name__ == "__main__":
    unittest.main()
