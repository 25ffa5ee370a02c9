from django.db import migrations

STAGES = [
    ("Lead", 1, 10, "open", "secondary"),
    ("Qualified", 2, 25, "open", "info"),
    ("Proposal sent", 3, 50, "open", "primary"),
    ("Negotiation", 4, 75, "open", "warning"),
    ("Won", 90, 100, "won", "success"),
    ("Lost", 99, 0, "lost", "danger"),
]


def create_funnel(apps, schema_editor):
    FunnelStage = apps.get_model("crm", "FunnelStage")
    if FunnelStage.objects.exists():
        return
    for name, order, probability, kind, color in STAGES:
        FunnelStage.objects.create(name=name, order=order, probability=probability, kind=kind, color=color)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(create_funnel, migrations.RunPython.noop)]
