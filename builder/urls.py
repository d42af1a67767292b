from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from actions.api import views as api_views
from actions.handoffs import callbacks as transfer_callbacks

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # An invited user (or one given a password link) chooses a password, then is logged in.
    path(
        "invite/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/invite_accept.html",
            post_reset_login=True,
            # Two backends (django-axes watches logins): say which one logs the user in.
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url=reverse_lazy("home"),
        ),
        name="invite_accept",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("actions.api.urls")),
    path("mcp", api_views.mcp, name="mcp"),
    path("webhooks/", include("actions.messaging.webhooks")),
    path(
        "webhooks/twilio/transfer/<int:log_id>",
        transfer_callbacks.twilio_transfer,
        name="twilio_transfer",
    ),
    path(
        "webhooks/twilio/whisper/<int:log_id>",
        transfer_callbacks.twilio_whisper,
        name="twilio_whisper",
    ),
    path(
        "webhooks/twilio/whisper/<int:log_id>/answer",
        transfer_callbacks.twilio_whisper_answer,
        name="twilio_whisper_answer",
    ),
    path("", include("actions.urls")),
]
