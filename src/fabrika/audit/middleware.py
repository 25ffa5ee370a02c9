from .context import audit_context, new_request_id


class AuditContextMiddleware:
    """Gives each request an id (or keeps the proxy's X-Request-ID) and its actor.

    The actor is the request itself: its user is read when a change is recorded, because DRF's
    token authentication happens inside the view, after this middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")[:64]
        valid = incoming.isascii() and incoming.replace("-", "").isalnum()
        rid = incoming if valid else new_request_id()
        request.request_id = rid
        with audit_context(actor=request, request_id=rid, remote_addr=request.META.get("REMOTE_ADDR")):
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response
