"""Page routes of `shipping`, mounted at the site root."""

app_name = "shipping"
urlpatterns: list = []
