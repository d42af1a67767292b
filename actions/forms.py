from django.contrib.auth.forms import UserCreationForm


class FirstAdminForm(UserCreationForm):
    """Username and password twice, checked by Django's password validators."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user
