"""Types that the apps' signatures share."""

from typing import TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Who asks: ``request.user``, signed in or not (selectors answer nothing to the anonymous).
Actor: TypeAlias = AbstractBaseUser | AnonymousUser
