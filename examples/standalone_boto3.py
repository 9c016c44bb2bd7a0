"""Sign a user up and in with plain boto3 against `regapi cognito serve` (no AWS account needed)."""

import json
import os
import urllib.request

import boto3

ENDPOINT = os.environ.get("COGNITO_ENDPOINT", "http://127.0.0.1:9229")
cognito = boto3.client(
    "cognito-idp",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="local",  # any value: the endpoint does not check credentials
    aws_secret_access_key="local",
)

pool_id = cognito.create_user_pool(
    PoolName="demo",
    AutoVerifiedAttributes=["email"],
    UsernameConfiguration={"CaseSensitive": False},
    Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireLowercase": True, "RequireNumbers": True}},
)["UserPool"]["Id"]
client_id = cognito.create_user_pool_client(
    UserPoolId=pool_id,
    ClientName="web",
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    PreventUserExistenceErrors="ENABLED",
)["UserPoolClient"]["ClientId"]

sent = cognito.sign_up(
    ClientId=client_id,
    Username="ann",
    Password="correct horse 42",
    UserAttributes=[{"Name": "email", "Value": "ann@example.com"}],
)
print("code sent to", sent["CodeDeliveryDetails"]["Destination"])  # a***@e***

# The code Cognito would have e-mailed, from the endpoint's outbox.
with urllib.request.urlopen(f"{ENDPOINT}/outbox?username=ann") as response:
    code = json.load(response)[-1]["code"]

try:
    cognito.confirm_sign_up(ClientId=client_id, Username="ann", ConfirmationCode="000000")
except cognito.exceptions.CodeMismatchException:
    print("a wrong code is refused")
cognito.confirm_sign_up(ClientId=client_id, Username="ann", ConfirmationCode=code)

tokens = cognito.initiate_auth(
    ClientId=client_id,
    AuthFlow="USER_PASSWORD_AUTH",
    AuthParameters={"USERNAME": "ANN", "PASSWORD": "correct horse 42"},  # usernames are case-insensitive here
)["AuthenticationResult"]
print("signed in; the access token expires in", tokens["ExpiresIn"], "seconds")
