# Reserved for the security issue (16); operations are filled in by the work that needs them.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0008_card_link_rotation")]

    operations: list[migrations.operations.base.Operation] = []
