import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from environ import Env

from apps.ops import stack


class Command(BaseCommand):
    help = (
        "Start the whole stack in the foreground under supervisord (a crashed process is "
        "restarted); Ctrl-C stops every process."
    )

    def handle(self, *args, **options):
        # Refuses to start on a conflict, naming the port and its holder.
        call_command("ports", expect_free=True, stdout=self.stdout, stderr=self.stderr)
        var_dir = settings.VAR_DIR
        var_dir.mkdir(exist_ok=True)
        env = Env()
        lines = stack.program_commands(
            var_dir=var_dir, redis_password=env("REDIS_PASSWORD", default="")
        )
        conf = stack.write_supervisor_conf(var_dir=var_dir, commands=lines)
        if "exchange" in lines:
            # The desk tracks PnL from its first minute: a funded paper account, registered once.
            call_command(
                "exchange_account",
                "ensure_paper",
                "paper-desk",
                base_url=settings.EXCHANGE_BASE_URL,
                venue_db=var_dir / "paper_exchange.sqlite3",
                stdout=self.stdout,
            )
        user = env("DJANGO_ADMIN_USER", default="admin")
        password = env("DJANGO_ADMIN_PASSWORD", default="")
        if not password:
            raise CommandError("DJANGO_ADMIN_PASSWORD is not set: Flower would run without auth")
        # Through the environment, not argv: argv is readable by every local user in `ps`.
        os.environ["FLOWER_BASIC_AUTH"] = f"{user}:{password}"
        bindir = Path(sys.executable).parent
        self.stdout.write("\nURLs (log in as the admin user):")
        for name, url in stack.urls().items():
            self.stdout.write(f"  {name:<16}{url}")
        paper = "paper-desk" if "exchange" in lines else None
        self.stdout.write("\n" + "\n".join(stack.api_howto(user=user, paper_account=paper)))
        self.stdout.write(
            f"\nProcesses: {', '.join(lines)}. A crashed one is restarted; Ctrl-C stops them all."
            f"\nStatus: {bindir / 'supervisorctl'} -c {conf} status\n"
        )
        self.stdout.flush()
        supervisord = str(bindir / "supervisord")
        os.chdir(settings.BASE_DIR)
        # The stack replaces this process, so Ctrl-C and SIGTERM reach supervisord directly; it
        # stops every program's process group. The programs inherit this environment: settings
        # already loaded the .env under it (the process environment wins), as honcho's -e did.
        argv = [supervisord, "--nodaemon", "--configuration", str(conf)]
        os.execv(supervisord, argv)  # noqa: S606
