"""Identity providers: the port the use cases depend on, the boto3 adapter, and the embedded Cognito."""
