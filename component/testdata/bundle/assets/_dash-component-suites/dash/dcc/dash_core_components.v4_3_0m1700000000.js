// stand-in for dash_core_components
