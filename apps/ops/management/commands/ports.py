from django.core.management.base import BaseCommand, CommandError

from apps.ops.ports import exposure, port_map


class Command(BaseCommand):
    help = "Print the port map, who listens on each port, and fail on a conflict."

    def add_arguments(self, parser):
        parser.add_argument(
            "--expect-free",
            action="store_true",
            help="Before start-up: every port must be free, whoever holds it.",
        )

    def handle(self, *args, expect_free: bool = False, **options):
        rows = port_map(expect_free=expect_free)
        self.stdout.write(f"{'service':<20}{'address':<22}{'exposure':<15}{'status':<28}what")
        for row in rows:
            if row.holder is None:
                status = "free"
            elif row.ours:
                status = f"listening: {row.holder}"
            else:
                status = f"HELD BY {row.holder}"
            self.stdout.write(
                f"{row.service:<20}{row.bind + ':' + str(row.port):<22}{exposure(row.bind):<15}"
                f"{status:<28}{row.what}"
            )
        conflicts = [row.conflict for row in rows if row.conflict]
        if conflicts:
            raise CommandError("port conflict: " + "; ".join(conflicts))
