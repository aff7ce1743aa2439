from django.utils.functional import SimpleLazyObject

from .access import current_membership


class CurrentOrganizationMiddleware:
    """Sets `request.membership` lazily: the user's membership in the organization they work in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: current_membership(request))
        request.api_token = None
        return self.get_response(request)
