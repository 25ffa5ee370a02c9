"""Reservations name what they hold goods for: a generic link (an order line, later others)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0005_value_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="source_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="reservation",
            name="source_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(fields=["source_type", "source_id"], name="reservation_source"),
        ),
    ]
