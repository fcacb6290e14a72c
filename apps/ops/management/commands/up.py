import os
import shutil

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from environ import Env

from apps.ops import stack


class Command(BaseCommand):
    help = "Start the whole stack in the foreground (honcho); Ctrl-C stops every process."

    def handle(self, *args, **options):
        # Refuses to start on a conflict, naming the port and its holder.
        call_command("ports", expect_free=True, stdout=self.stdout, stderr=self.stderr)
        var_dir = settings.VAR_DIR
        var_dir.mkdir(exist_ok=True)
        env = Env()
        lines = stack.procfile_lines(
            var_dir=var_dir, redis_password=env("REDIS_PASSWORD", default="")
        )
        procfile = stack.write_procfile(path=var_dir / "Procfile", lines=lines)
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
        self.stdout.write("\nURLs (log in as the admin user):")
        for name, url in stack.urls().items():
            self.stdout.write(f"  {name:<16}{url}")
        self.stdout.write(f"\nProcesses: {', '.join(lines)}. Ctrl-C stops them all.\n")
        self.stdout.flush()
        honcho = shutil.which("honcho") or str(settings.BASE_DIR / ".venv" / "bin" / "honcho")
        os.chdir(settings.BASE_DIR)
        # The stack replaces this process, so Ctrl-C and SIGTERM reach honcho directly.
        # honcho loads an env file too: it must be the one these settings came from.
        env_file = str(settings.ENV_FILE)
        argv = [honcho, "-f", str(procfile), "-e", env_file, "-d", str(settings.BASE_DIR), "start"]
        os.execv(honcho, argv)  # noqa: S606
