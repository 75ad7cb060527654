"""Page routes of `inventory`, mounted at the site root."""

app_name = "inventory"
urlpatterns: list = []
