import dash

VALUE = 1
