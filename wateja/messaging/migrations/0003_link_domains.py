# Reserved for the security issue (16); operations are filled in by the work that needs them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_hook_secret")]

    operations: list[migrations.operations.base.Operation] = []
