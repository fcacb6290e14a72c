"""No data of the venue lives in the desk's database. `PaperAccount` is an unmanaged model with no
table: it only gives the venue's accounts a page in the admin (apps/paper_exchange/admin.py),
whose views read and write the venue's own SQLite file."""

from django.db import models


class PaperAccount(models.Model):
    name = models.CharField(max_length=64)

    class Meta:
        managed = False
        db_table = "paper_exchange_account_never_created"
        verbose_name = "paper exchange account"
        default_permissions = ("add", "view")

    def __str__(self) -> str:
        return self.name
