// stand-in for dcc's async graph chunk
