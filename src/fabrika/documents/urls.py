from django.urls import path

from . import views
from .views_outbox import urlpatterns as outbox_urlpatterns
from .views_print import urlpatterns as print_urlpatterns

app_name = "documents"
urlpatterns = [
    path(
        "attachments/add/<int:content_type_id>/<str:object_id>/",
        views.AttachmentAddView.as_view(),
        name="attachment-add",
    ),
    path("attachments/<int:pk>/download/", views.AttachmentDownloadView.as_view(), name="attachment-download"),
    path("attachments/<int:pk>/delete/", views.AttachmentDeleteView.as_view(), name="attachment-delete"),
]
urlpatterns += print_urlpatterns
urlpatterns += outbox_urlpatterns
