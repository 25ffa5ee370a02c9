from django.db import migrations


def install_roles(apps, schema_editor):
    from fabrika.access import builtin_roles

    builtin_roles.install(apps.get_model("access", "Role"))


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(install_roles, migrations.RunPython.noop)]
