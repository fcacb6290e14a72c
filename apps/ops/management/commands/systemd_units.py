from pathlib import Path

from django.core.management.base import BaseCommand

from apps.ops.units import systemd_units


class Command(BaseCommand):
    help = (
        "Write a systemd unit per process of the stack (apps/ops/stack.py's command lines, with "
        "this environment's addresses and ports) into --out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="directory to write into")
        parser.add_argument("--root", type=Path, default=Path("/srv/quantum"), help="checkout")
        parser.add_argument("--user", default="quantum", help="the desk's system user")
        parser.add_argument("--env-dir", type=Path, default=Path("/etc/quantum"))

    def handle(self, *args, out: Path, root: Path, user: str, env_dir: Path, **options):
        generated = systemd_units(root=root, user=user, env_dir=env_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name, text in generated.items():
            (out / name).write_text(text)
            self.stdout.write(str(out / name))
