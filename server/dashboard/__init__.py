"""The live schedule dashboard at ``/app/``: our own ES modules and CSS, served as they are."""
