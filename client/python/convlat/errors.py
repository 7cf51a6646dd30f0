"""The one exception convlat raises: the gRPC status code, the message and the argument at fault."""
from __future__ import annotations

import re
from typing import Mapping, Optional

import grpc


class ConvlatError(Exception):
    """A request convlat refused or could not answer.

    `code` is the grpc.StatusCode (INVALID_ARGUMENT, NOT_FOUND, ...), `field` the argument of the
    Python call the error is about ("model", "platform", "batch", "layers"), or None when it is not
    about one argument (the server unreachable, an internal error). str() names the field first.
    """

    def __init__(self, code: grpc.StatusCode, message: str, field: Optional[str] = None):
        self.code = code
        self.message = message
        self.field = field
        named = field and not message.startswith(field)
        super().__init__(f"{field}: {message} ({code.name})" if named else f"{message} ({code.name})")


# The request fields the server's messages start with or name, and the Python argument each comes from.
_DEFAULT_ARGUMENTS: Mapping[str, str] = {
    "onnx_model": "model",
    "input_shapes": "model",
    "any_layers": "layers",
    "layers": "layers",
    "batch": "batch",
    "platform": "platform",
    "layout": "layout",
}


# In network calls a layer list is the `model` argument.
NETWORK_ARGUMENTS: Mapping[str, str] = {**_DEFAULT_ARGUMENTS, "layers": "model", "any_layers": "model"}


def argument_named_in(message: str, code: grpc.StatusCode, arguments: Mapping[str, str]) -> Optional[str]:
    """The Python argument a server message is about: the request field it names first, mapped."""
    if code == grpc.StatusCode.NOT_FOUND and "platform" in message:
        return "platform"
    message = re.sub(r"^networks\[\d+\]\.", "", message)  # PredictNetworks: the network's own field
    first: Optional[tuple[int, str]] = None
    for proto_field, argument in arguments.items():
        match = re.search(rf"(?<![\w.]){re.escape(proto_field)}(?![\w])", message)
        if match and (first is None or match.start() < first[0]):
            first = (match.start(), argument)
    return first[1] if first else None


def from_rpc_error(error: grpc.RpcError, arguments: Mapping[str, str] = _DEFAULT_ARGUMENTS) -> ConvlatError:
    """A ConvlatError for a failed call, naming the argument the server's message is about."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    return from_status(code, message or "", arguments)


def from_status(code: grpc.StatusCode, message: str,
                arguments: Mapping[str, str] = _DEFAULT_ARGUMENTS) -> ConvlatError:
    return ConvlatError(code, message, argument_named_in(message, code, arguments))


def code_from_number(number: int) -> grpc.StatusCode:
    """grpc.StatusCode for a google.rpc.Code number (PredictNetworkResult.error_code)."""
    for status in grpc.StatusCode:
        if status.value[0] == number:
            return status
    return grpc.StatusCode.UNKNOWN
