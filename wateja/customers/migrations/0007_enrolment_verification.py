# Reserved for the security issue (16); operations are filled in by the work that needs them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_interaction_events")]

    operations: list[migrations.operations.base.Operation] = []
