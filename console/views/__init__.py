"""Staff console pages, one module per concept. Views are small: parse the form, call the service, render."""
