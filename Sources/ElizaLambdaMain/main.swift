import LambdaFunction

LambdaFunction.main()
