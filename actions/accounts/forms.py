"""The forms of the first run and of the users page."""

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from actions.accounts import roles


class FirstAdminForm(UserCreationForm):
    """Username and password twice, checked by Django's password validators."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=[(name, f"{name} — {description}") for name, description in roles.ROLES.items()],
        widget=forms.RadioSelect,
        initial=roles.REVIEWER,
    )


class UserCreateForm(forms.ModelForm):
    """A new user and their role; they choose their own password through an invite link."""

    role = _role_field()

    class Meta:
        model = User
        fields = ["username", "email"]
        help_texts = {"username": "Letters, digits and @ . + - _ only; used to log in."}

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        user.save()
        roles.set_role(user, self.cleaned_data["role"])
        return user


class UserEditForm(forms.ModelForm):
    """A user's email, role and whether they may log in.

    Nobody changes their own role or locks themselves out, and the last active Admin stays one,
    so a deployment always has someone who can manage users.
    """

    role = _role_field()

    class Meta:
        model = User
        fields = ["email", "is_active"]
        labels = {"is_active": "Active (may log in)"}
        help_texts = {"is_active": "Untick instead of deleting: their history stays readable."}

    def __init__(self, *args, editor, **kwargs):
        super().__init__(*args, **kwargs)
        self.editor = editor
        self.fields["role"].initial = roles.role_of(self.instance) or roles.REVIEWER

    def clean(self):
        cleaned = super().clean()
        role, active = cleaned.get("role"), cleaned.get("is_active")
        stays_admin = role == roles.ADMIN and active
        if self.instance.pk == self.editor.pk:
            if role and role != roles.role_of(self.instance):
                self.add_error("role", "You cannot change your own role: ask another Admin.")
            if active is False:
                self.add_error("is_active", "You cannot deactivate yourself.")
        elif roles.is_admin(self.instance) and not stays_admin and roles.admin_count() <= 1:
            self.add_error("role", "This is the last active Admin: make someone else Admin first.")
        return cleaned

    def save(self, commit=True):
        user = super().save()
        if self.cleaned_data["role"] != roles.role_of(user):
            roles.set_role(user, self.cleaned_data["role"])
        return user
