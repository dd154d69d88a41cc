# stand-in for the bundler's Lambda handler
def handler(event, context):
    return {"statusCode": 200}
