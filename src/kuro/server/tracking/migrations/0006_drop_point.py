"""Points live in ``Chunk`` rows now (``0005``): the ``Point`` table goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tracking", "0005_chunks"),
    ]

    operations = [
        migrations.DeleteModel(name="Point"),
    ]
