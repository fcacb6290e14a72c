"""Permissions the apps' APIs share (one definition; the views import it)."""

from rest_framework import permissions


class IsStaffToWrite(permissions.BasePermission):
    """Reads for any signed-in user; changes (the desk's mode, starting research work) for staff."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return bool(request.user and request.user.is_staff)
