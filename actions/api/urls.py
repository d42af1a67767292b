from django.urls import path

from actions.api import views

urlpatterns = [
    path("openapi.json", views.openapi, name="api_openapi"),
    path("ping", views.ping, name="api_ping"),
    path("tools", views.tools, name="api_tools"),
    path("actions/<str:name>/invoke", views.invoke, name="api_invoke"),
    path("messages/<str:message_id>", views.message_detail, name="api_message"),
    path("handoffs/<str:name>/invoke", views.handoff_invoke, name="api_handoff_invoke"),
    path("transfer-destination", views.vapi_transfer_destination, name="api_transfer_destination"),
    path("vapi", views.vapi, name="api_vapi"),
    path("retell", views.retell, name="api_retell"),
    path("elevenlabs/<str:name>", views.elevenlabs, name="api_elevenlabs"),
    path("<path:rest>", views.not_found),
]
