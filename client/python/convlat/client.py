"""convlat.Client: the LatencyService from Python, answers as dataclasses, errors as ConvlatError."""
from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

import grpc

from convlat.errors import NETWORK_ARGUMENTS, ConvlatError, code_from_number, from_rpc_error, from_status
from convlat.layers import Layer, layer_to_proto
from convlat.networks import checked_batch, network_request
from convlat.results import LayerPrediction, NetworkPrediction, NetworkResult, PlatformSummary
from convlat.v1 import latency_pb2, latency_pb2_grpc

_MAX_MESSAGE_BYTES = 256 << 20  # the server's gRPC cap


def _invalid(field: str, error: Exception) -> ConvlatError:
    return ConvlatError(grpc.StatusCode.INVALID_ARGUMENT, str(error), field)


class Client:
    """A connection to a convlat-server.

        client = convlat.Client("127.0.0.1:50051")                    # plaintext
        client = convlat.Client("host:443", tls_ca="ca.pem", token="...")

    `tls_ca` is the PEM file of the CA that signed the server's certificate; `token` is sent as
    `authorization: Bearer <token>` (queries do not need one; a server with --agent_token_file takes it).
    `timeout` is each call's deadline in seconds.
    """

    def __init__(self, address: str, tls_ca: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 60.0):
        options = [("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
                   ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES)]
        if tls_ca is not None:
            with open(tls_ca, "rb") as f:
                credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
            self._channel = grpc.secure_channel(address, credentials, options=options)
        else:
            self._channel = grpc.insecure_channel(address, options=options)
        self._stub = latency_pb2_grpc.LatencyServiceStub(self._channel)
        self._metadata = [("authorization", f"Bearer {token}")] if token else None
        self._timeout = timeout

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: Any, request: Any, arguments: Optional[dict] = None) -> Any:
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise (from_rpc_error(error, arguments) if arguments else from_rpc_error(error)) from None

    def platforms(self) -> list[PlatformSummary]:
        """Every platform the server knows, with its sample count and whether its model is ready."""
        response = self._call(self._stub.ListPlatforms, latency_pb2.ListPlatformsRequest())
        return [PlatformSummary.from_proto(p) for p in response.platforms]

    def predict(self, layers: Iterable[Layer], platform: str) -> list[LayerPrediction]:
        """One prediction per layer (convlat.Conv or convlat.Op), in order, in one call."""
        response = self._call(self._stub.Predict, self._predict_request(layers, platform))
        return [LayerPrediction.from_proto(p) for p in response.predictions]

    def predict_async(self, layers: Iterable[Layer], platform: str) -> "PendingPrediction":
        """predict() without waiting: many calls in flight on the one channel (result() waits).

        One layer per call is bound by the round trip; keeping calls in flight overlaps them.
        """
        request = self._predict_request(layers, platform)
        return PendingPrediction(self._stub.Predict.future(request, timeout=self._timeout, metadata=self._metadata))

    def _predict_request(self, layers: Iterable[Layer], platform: str) -> latency_pb2.PredictRequest:
        request = latency_pb2.PredictRequest(platform=platform)
        try:
            request.any_layers.extend(layer_to_proto(layer) for layer in layers)
        except (ValueError, TypeError) as error:
            raise _invalid("layers", error) from None
        return request

    def predict_network(self, model: Any, platform: str, batch: Optional[int] = 1, example_input: Any = None,
                        layout: str = "") -> NetworkPrediction:
        """The latency of a whole network, layer by layer.

        `model`: an ONNX path, ONNX bytes, a torch.nn.Module with `example_input`, or a list of
        convlat.Conv/convlat.Op; weights are stripped before sending. `batch` overrides the batch
        dimension (None: as the network says). `layout`: "", "nchw", "nhwc" or "native".
        """
        request = self._request(model, platform, batch, example_input, layout)
        return NetworkPrediction.from_proto(self._call(self._stub.PredictNetwork, request, NETWORK_ARGUMENTS))

    def predict_networks(self, models: Sequence[Any], platform: str, batch: Optional[int] = 1,
                         example_input: Any = None, layout: str = "") -> list[NetworkResult]:
        """Many networks in one call (a NAS controller's candidates): one NetworkResult each, in order.

        A network that is refused, by the server or already here (an unreadable file, bytes that
        are not ONNX), gets its ConvlatError in its result; the others are answered.
        """
        batch = self._batch(batch)
        request = latency_pb2.PredictNetworksRequest()
        results: list[Optional[NetworkResult]] = []
        for model in models:
            try:
                request.networks.append(network_request(model, platform, batch, example_input, layout))
                results.append(None)  # answered by the server
            except (ValueError, TypeError, OSError) as error:
                results.append(NetworkResult(error=_invalid("model", error)))
        sent = self._call(self._stub.PredictNetworks, request, NETWORK_ARGUMENTS) if request.networks else None
        answers = iter(sent.results if sent else [])
        return [result or self._network_result(next(answers)) for result in results]

    @staticmethod
    def _network_result(result: latency_pb2.PredictNetworkResult) -> NetworkResult:
        if result.error_code:
            return NetworkResult(error=from_status(code_from_number(result.error_code), result.error_message,
                                                   NETWORK_ARGUMENTS))
        return NetworkResult(prediction=NetworkPrediction.from_proto(result.response))

    @staticmethod
    def _batch(batch: Optional[int]) -> int:
        try:
            return checked_batch(batch)
        except ValueError as error:
            raise _invalid("batch", error) from None

    def _request(self, model: Any, platform: str, batch: Optional[int], example_input: Any,
                 layout: str) -> latency_pb2.PredictNetworkRequest:
        batch = self._batch(batch)
        try:
            return network_request(model, platform, batch, example_input, layout)
        except (ValueError, TypeError, OSError) as error:
            field = "layout" if "layout" in str(error) and layout else "model"
            raise _invalid(field, error) from None


class PendingPrediction:
    """A predict_async call in flight."""

    def __init__(self, future: Any):
        self._future = future

    def result(self) -> list[LayerPrediction]:
        """The predictions, once the server answered; raises ConvlatError as predict() does."""
        try:
            response = self._future.result()
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None
        return [LayerPrediction.from_proto(p) for p in response.predictions]
