"""Page routes of `referrals`, mounted at the site root."""

app_name = "referrals"
urlpatterns: list = []
