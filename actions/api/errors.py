"""The API's one error shape: {"error": {"code", "message", "details"?, "say"?, …}}."""

from django.http import JsonResponse


class ApiError(Exception):
    """Raised anywhere below a view; the view answers it with the error shape."""

    def __init__(
        self, status: int, code: str, message: str, *, details=None, say=None, headers=None, **extra
    ):
        super().__init__(message)
        self.headers = headers or {}
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.say = say
        self.extra = extra

    def payload(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        if self.say:
            error["say"] = self.say
        error.update(self.extra)
        return {"error": error}

    def response(self) -> JsonResponse:
        return JsonResponse(self.payload(), status=self.status, headers=self.headers)


def invalid_request(message: str, path: str = "") -> ApiError:
    details = [{"path": path, "message": message}] if path else None
    return ApiError(400, "invalid_request", message, details=details)
