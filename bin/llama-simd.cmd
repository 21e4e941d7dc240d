@echo off
rem Runs llama-simd (the jar) on a JDK 25 or newer, with the Vector API module it computes with:
rem   bin\llama-simd generate --model weights\tiny-kjv-Q8_0.gguf --prompt "And God said"
rem The JDK: JAVA_HOME when it is new enough, else java on PATH, else the usual install folders.
rem LLAMA_SIMD_JAR names the jar (default: target\llama-simd.jar beside bin\);
rem LLAMA_SIMD_JAVA_OPTS adds JVM options (say -Xmx8g).
setlocal EnableDelayedExpansion

set "JAR=%LLAMA_SIMD_JAR%"
if not defined JAR set "JAR=%~dp0..\target\llama-simd.jar"
if not exist "%JAR%" (
  echo error: !JAR! is missing; build it with mvnw -DskipTests package ^(or set LLAMA_SIMD_JAR^) 1>&2
  exit /b 1
)

set "JAVA="
if defined JAVA_HOME (
  call :try "%JAVA_HOME%"
  if not defined JAVA echo JAVA_HOME=!JAVA_HOME! is JDK !FOUND!; looking for a JDK 25 1>&2
)
if not defined JAVA for /f "delims=" %%J in ('where java 2^>nul') do if not defined JAVA call :try "%%~dpJ.."
if not defined JAVA for /d %%D in ("%ProgramFiles%\Java\*" "%ProgramFiles%\Eclipse Adoptium\*" "%ProgramFiles%\Microsoft\*" "%ProgramFiles%\Zulu\*" "%ProgramFiles%\Amazon Corretto\*" "%ProgramFiles%\BellSoft\*" "%USERPROFILE%\.jdks\*") do if not defined JAVA call :try "%%~D"
if not defined JAVA (
  echo error: llama-simd needs JDK 25 or newer; none found. Install one and set JAVA_HOME to it. 1>&2
  exit /b 1
)
"%JAVA%" --add-modules jdk.incubator.vector %LLAMA_SIMD_JAVA_OPTS% -jar "%JAR%" %*
exit /b %ERRORLEVEL%

rem Sets JAVA to %1\bin\java.exe when the release file of the Java home %1 says 25 or newer
rem (FOUND to the version it says).
:try
set "FOUND=?"
if not exist "%~1\bin\java.exe" exit /b 0
if not exist "%~1\release" exit /b 0
set "V="
for /f "tokens=2 delims==" %%V in ('findstr /b "JAVA_VERSION=" "%~1\release"') do set "V=%%~V"
if not defined V exit /b 0
for /f "tokens=1,2 delims=." %%A in ("!V!") do (
  set "FOUND=%%A"
  if "%%A"=="1" set "FOUND=%%B"
)
set "MAJOR=0"
set /a MAJOR=FOUND 2>nul
if !MAJOR! GEQ 25 set "JAVA=%~1\bin\java.exe"
exit /b 0
