from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from environ import Env


class Command(BaseCommand):
    help = "Create the admin user from DJANGO_ADMIN_USER / DJANGO_ADMIN_PASSWORD if it is missing."

    def handle(self, *args, **options):
        env = Env()
        username = env("DJANGO_ADMIN_USER", default="admin")
        password = env("DJANGO_ADMIN_PASSWORD", default="")
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(f"admin user {username!r} exists")
            return
        if not password:
            raise CommandError("DJANGO_ADMIN_PASSWORD is not set (make up generates it into .env)")
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"created admin user {username!r}")
