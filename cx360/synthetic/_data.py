"""Reference lists for the synthetic generator: names, places, domains, templates.

Every list is fictional-data material only: common given names and surnames, real city
names and numbering plans, and made-up street numbers. Lists of names are in rough order of
frequency; the generator puts Zipf-like weights on that order, so the first entries are
very common (many "José García", "María Rodríguez", "James Smith").

Lists are written as comma-separated strings to keep this file readable; `_split` turns them
into tuples at import time.
"""

from __future__ import annotations

__all__ = [
    "CITIES",
    "COMPOUND_FEMALE",
    "COMPOUND_MALE",
    "CO_MOBILE_PREFIXES",
    "CURP_BAD_WORDS",
    "DOB_PLACEHOLDERS",
    "EMAIL_DOMAINS",
    "EMAIL_PLACEHOLDERS",
    "EMOJIS",
    "ENGLISH_MONTHS",
    "ES_STREET_NAMES",
    "FAMILY_EMAIL_DOMAINS",
    "FEMALE_NAMES",
    "FLAGS",
    "ID_PLACEHOLDERS",
    "ITEMS",
    "KEYBOARD_NEIGHBOURS",
    "MALE_NAMES",
    "MX_COLONIAS",
    "MX_STATES",
    "MX_STREET_NAMES",
    "NICKNAMES",
    "PHONE_PLACEHOLDERS",
    "SPANISH_MONTHS",
    "SUMMARIES",
    "SURNAMES",
    "US_MIDDLE_FEMALE",
    "US_MIDDLE_MALE",
    "US_STREET_NAMES",
    "City",
]

from typing import NamedTuple


def _split(text: str) -> tuple[str, ...]:
    """Comma-separated text → tuple of stripped, de-duplicated items (first occurrence kept)."""
    items = (part.strip() for part in text.replace("\n", " ").split(","))
    return tuple(dict.fromkeys(item for item in items if item))


# --------------------------------------------------------------------------- given names
# Single given names per market and sex, most frequent first.

MALE_NAMES: dict[str, tuple[str, ...]] = {
    "CO": _split("""
        Juan, Carlos, Luis, José, Jorge, Andrés, Diego, Santiago, Sebastián, Alejandro, Daniel,
        David, Camilo, Felipe, Jhon, Miguel, Óscar, Fernando, Julián, Mauricio, Ricardo, Javier,
        Édgar, Hernán, Jairo, Fabio, Álvaro, Nicolás, Mateo, Samuel, Esteban, Cristian, Brayan,
        Kevin, Jhonatan, Wilson, William, Gustavo, Mario, Pedro, Rafael, Héctor, Germán, Gabriel,
        Sergio, Iván, Rodrigo, Jaime, Alberto, Eduardo, Francisco, Manuel, Antonio, Jesús,
        Gilberto, Orlando, Rubén, Víctor, Hugo, Henry, Yeison, Stiven, Emmanuel, Tomás, Martín,
        Simón, Emilio, Jerónimo, Alexander, Alexis, Ángel, Enrique, Arturo, Ramiro, Humberto,
        Leonardo, Omar, Fredy, Harold, Giovanni, John, Elkin, Nelson, Wilmer, Duván, Anderson,
        Jefferson, Yesid, Libardo, Darío, Guillermo, Armando, Raúl, Ignacio, Edwin, Faber,
        Hernando, Marco, Norberto, Octavio, Pablo, Reinaldo, Rigoberto, Salomón, Teodoro
    """),
    "MX": _split("""
        José, Juan, Luis, Carlos, Jesús, Miguel, Francisco, Alejandro, Jorge, Pedro, Antonio,
        Manuel, Ricardo, Roberto, Fernando, Eduardo, Javier, Daniel, Rafael, Sergio, Arturo,
        Martín, Raúl, Enrique, Héctor, Mario, Óscar, Gerardo, Alberto, Alfredo, Ramón, Salvador,
        Armando, Guillermo, Rubén, Víctor, Ángel, Ignacio, Andrés, Santiago, Diego, Emiliano,
        Leonardo, Mateo, Sebastián, Iker, Gael, Adrián, Hugo, Gustavo, Marco, Pablo, Raymundo,
        Rogelio, Ernesto, Felipe, Joel, Israel, Alfonso, Abraham, Agustín, Cristian, Édgar, Erick,
        Fabián, Gabriel, Iván, Jaime, Julio, Lorenzo, Mauricio, Moisés, Noé, Omar, Rodrigo, Saúl,
        Tomás, Ulises, Valentín, Cuauhtémoc, Octavio, Benjamín, Emmanuel, Isaac, Joaquín,
        Leopoldo, Marcos, Nicolás, Patricio, Rigoberto, Samuel, Teodoro, Gilberto, Bernardo
    """),
    "ES": _split("""
        Antonio, Manuel, José, Francisco, David, Juan, Javier, Daniel, Carlos, Jesús, Alejandro,
        Miguel, Rafael, Pedro, Pablo, Ángel, Sergio, Fernando, Jorge, Luis, Alberto, Álvaro,
        Adrián, Diego, Raúl, Enrique, Iván, Rubén, Óscar, Ramón, Andrés, Vicente, Joaquín,
        Santiago, Víctor, Eduardo, Mario, Roberto, Jaime, Ignacio, Marcos, Alfonso, Hugo, Jordi,
        Ricardo, Salvador, Guillermo, Gabriel, Emilio, Mateo, Martín, Lucas, Leo, Marc, Nicolás,
        Gonzalo, Julio, Agustín, Tomás, Xavier, Josep, Iker, Aitor, Unai, Sebastián, Felipe,
        Cristian, Héctor, Lorenzo, Mariano, Julián, Samuel, Esteban, Arturo, Benito, Borja,
        Domingo, Eugenio, Fermín, Gregorio, Íñigo, Lorenzo, Mikel, Norberto, Pau, Rodrigo, Roger,
        Teodoro, Valentín, Xabier
    """),
    "US": _split("""
        James, Robert, John, Michael, David, William, Richard, Joseph, Thomas, Christopher,
        Charles, Daniel, Matthew, Anthony, Mark, Donald, Steven, Andrew, Paul, Joshua, Kenneth,
        Kevin, Brian, Timothy, Ronald, George, Jason, Edward, Jeffrey, Ryan, Jacob, Nicholas,
        Gary, Eric, Jonathan, Stephen, Larry, Justin, Scott, Brandon, Benjamin, Samuel, Gregory,
        Alexander, Patrick, Frank, Raymond, Jack, Dennis, Jerry, Tyler, Aaron, Adam, Nathan,
        Henry, Zachary, Douglas, Peter, Kyle, Noah, Ethan, Jeremy, Christian, Walter, Keith,
        Austin, Roger, Terry, Sean, Gerald, Carl, Dylan, Harold, Jordan, Jesse, Bryan, Lawrence,
        Arthur, Gabriel, Bruce, Logan, Billy, Joe, Alan, Elijah, Willie, Albert, Wayne, Randy,
        Mason, Vincent, Liam, Roy, Bobby, Caleb, Bradley, Russell, Lucas, Travis, Shawn
    """),
}

FEMALE_NAMES: dict[str, tuple[str, ...]] = {
    "CO": _split("""
        María, Luz, Ana, Sandra, Diana, Paula, Laura, Carolina, Natalia, Daniela, Valentina,
        Andrea, Claudia, Marcela, Gloria, Martha, Patricia, Adriana, Liliana, Angélica, Juliana,
        Catalina, Alejandra, Camila, Sofía, Mariana, Luisa, Isabella, Gabriela, Paola, Viviana,
        Lorena, Yolanda, Blanca, Rosa, Ángela, Mónica, Jennifer, Yuliana, Leidy, Yesenia,
        Johana, Érika, Nancy, Olga, Beatriz, Carmen, Elizabeth, Esperanza, Margarita, Stella,
        Nataly, Tatiana, Lina, Manuela, Salomé, Antonella, Sara, Emily, Isabel, Ximena, Jimena,
        Karen, Kelly, Lizeth, Marisol, Milena, Nubia, Amparo, Cecilia, Dora, Fanny, Gladys,
        Inés, Lucía, Mercedes, Mery, Miriam, Nelly, Sonia, Teresa, Rocío, Elena, Alba, Bibiana,
        Consuelo, Dayana, Eliana, Francy, Heidy, Ingrid, Jazmín, Leonor, Marleny, Yamile
    """),
    "MX": _split("""
        María, Guadalupe, Juana, Margarita, Rosa, Verónica, Leticia, Patricia, Elizabeth,
        Alejandra, Adriana, Gabriela, Claudia, Silvia, Martha, Laura, Araceli, Yolanda, Teresa,
        Ana, Sofía, Ximena, Valentina, Regina, Camila, Fernanda, Daniela, Mariana, Andrea, Karla,
        Mónica, Norma, Lucía, Carmen, Isabel, Alicia, Beatriz, Blanca, Rocío, Sandra, Diana,
        Esperanza, Gloria, Irma, Josefina, Leonor, Lourdes, Luz, Maribel, Mercedes, Miriam,
        Natalia, Paola, Ruth, Susana, Cecilia, Dolores, Elena, Francisca, Graciela, Itzel,
        Jazmín, Karen, Lizbeth, Marisol, Nayeli, Perla, Yesenia, Renata, Valeria, Victoria,
        Fátima, Concepción, Refugio, Angélica, Brenda, Citlali, Estela, Gisela, Hortensia,
        Julieta, Liliana, Marcela, Olga, Reyna, Rebeca, Sonia, Tania, Viridiana, Xóchitl
    """),
    "ES": _split("""
        María, Carmen, Ana, Isabel, Laura, Cristina, Marta, Lucía, Dolores, Pilar, Josefa,
        Francisca, Antonia, Elena, Sara, Paula, Raquel, Rosa, Manuela, Mercedes, Teresa,
        Concepción, Rocío, Beatriz, Silvia, Patricia, Julia, Sofía, Alba, Andrea, Irene, Nuria,
        Montserrat, Encarnación, Rosario, Sonia, Alicia, Marina, Noelia, Inmaculada, Lorena, Eva,
        Ángela, Claudia, Natalia, Esther, Verónica, Victoria, Carla, Martina, Daniela, Valeria,
        Emma, Olivia, Lola, Amparo, Yolanda, Susana, Inés, Nerea, Ainhoa, Itziar, Miriam,
        Vanesa, Aurora, Consuelo, Gloria, Margarita, Milagros, Esperanza, Remedios, Catalina,
        Adriana, Begoña, Blanca, Celia, Eugenia, Gemma, Jimena, Leire, Lidia, Maite, Mireia,
        Núria, Olga, Rebeca, Sandra, Tamara, Vera
    """),
    "US": _split("""
        Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Karen, Sarah, Lisa,
        Nancy, Sandra, Betty, Ashley, Emily, Kimberly, Margaret, Donna, Michelle, Carol, Amanda,
        Melissa, Deborah, Stephanie, Rebecca, Sharon, Laura, Cynthia, Dorothy, Amy, Kathleen,
        Angela, Shirley, Emma, Brenda, Pamela, Nicole, Anna, Samantha, Katherine, Christine,
        Debra, Rachel, Carolyn, Janet, Maria, Olivia, Heather, Helen, Catherine, Diane, Julie,
        Victoria, Joyce, Lauren, Kelly, Christina, Ruth, Joan, Virginia, Judith, Evelyn, Hannah,
        Andrea, Megan, Cheryl, Jacqueline, Madison, Teresa, Abigail, Sophia, Martha, Sara,
        Gloria, Janice, Kathryn, Ann, Isabella, Judy, Charlotte, Julia, Grace, Amber, Alice,
        Jean, Denise, Frances, Danielle, Marilyn, Natalie, Beverly, Diana, Brittany, Theresa,
        Kayla, Alexis, Doris, Lori, Tiffany
    """),
}

# Compound given names (Hispanic markets), most frequent first.
COMPOUND_MALE: dict[str, tuple[str, ...]] = {
    "CO": _split("""
        Juan Carlos, Juan David, Juan Camilo, Juan Pablo, Juan Sebastián, Juan José, Juan Diego,
        Juan Esteban, Juan Manuel, Luis Fernando, Luis Carlos, Luis Alberto, Luis Eduardo,
        Carlos Andrés, Carlos Alberto, Carlos Mario, Jorge Luis, Jorge Enrique, José Luis,
        José Alejandro, Andrés Felipe, Diego Alejandro, Miguel Ángel, Jhon Jairo, Jhon Fredy,
        Óscar Iván, Víctor Hugo, Jesús David, Cristian Camilo, Brayan Stiven, Luis Miguel,
        José Manuel, Juan Felipe, Luis Felipe, Jorge Mario, Carlos Eduardo
    """),
    "MX": _split("""
        José Luis, Juan Carlos, José Antonio, Juan Manuel, José Manuel, Luis Alberto,
        Miguel Ángel, Jesús Alberto, José Juan, Juan José, José Francisco, Juan Pablo,
        Luis Fernando, José Alfredo, José Guadalupe, José de Jesús, Carlos Alberto, Jorge Alberto,
        Víctor Manuel, Francisco Javier, Luis Enrique, José Ángel, Marco Antonio, José Eduardo,
        Juan Antonio, José Carlos, Luis Ángel, José Roberto
    """),
    "ES": _split("""
        José Antonio, José Luis, José Manuel, Francisco Javier, Juan Carlos, Juan José,
        José María, Juan Antonio, José Ramón, Miguel Ángel, Juan Manuel, Francisco José,
        José Miguel, José Ignacio, Luis Miguel, Juan Francisco, José Carlos, Pedro José,
        Juan Luis, José Javier
    """),
}

COMPOUND_FEMALE: dict[str, tuple[str, ...]] = {
    "CO": _split("""
        María José, María Fernanda, María Camila, María Alejandra, María Paula, Luz Marina,
        Luz Dary, Luz Mery, Ana María, Ana Milena, Ana Lucía, Luisa Fernanda, María Isabel,
        María Teresa, María Cristina, María Victoria, Martha Lucía, Sandra Milena, Diana Marcela,
        Laura Sofía, María Eugenia, María del Pilar, Claudia Patricia, Gloria Inés, Ángela María,
        Paula Andrea, Leidy Johana, Luz Ángela, Sara Valentina, María Antonia
    """),
    "MX": _split("""
        María Guadalupe, María José, María Fernanda, Ana María, María Elena, María del Carmen,
        María de Jesús, María Isabel, María Teresa, María Luisa, María de los Ángeles,
        María Eugenia, Ana Karen, María Concepción, María Dolores, María Cristina, Rosa María,
        Juana María, Ana Sofía, María Magdalena, Luz María, Martha Patricia, María Alejandra,
        Ana Paula
    """),
    "ES": _split("""
        María Carmen, María Pilar, María José, María Isabel, María Dolores, Ana María,
        María Teresa, María Ángeles, María Jesús, María Rosario, María Luisa, María Mercedes,
        María Elena, María Concepción, Rosa María, María Victoria, María Cristina, María Antonia,
        María Josefa, María Inmaculada, Ana Isabel, María Soledad, María Nieves
    """),
}

US_MIDDLE_MALE = _split("""
    James, Michael, Lee, Allen, Edward, Joseph, Ray, Robert, Wayne, Scott, Thomas, Alan, Paul,
    William, John, David, Anthony, Lynn, Eugene, Dean, Matthew, Andrew, Patrick, Alexander
""")
US_MIDDLE_FEMALE = _split("""
    Marie, Ann, Lynn, Elizabeth, Nicole, Michelle, Louise, Jean, Rose, Grace, Mae, Renee,
    Kay, Lee, Jane, Dawn, Marie, Christine, Elaine, Denise, Sue, Jo, Faith, Nicole
""")

# --------------------------------------------------------------------------- surnames

SURNAMES: dict[str, tuple[str, ...]] = {
    "CO": _split("""
        Rodríguez, Gómez, González, Martínez, García, López, Hernández, Sánchez, Ramírez,
        Pérez, Díaz, Muñoz, Rojas, Moreno, Jiménez, Vargas, Castro, Gutiérrez, Álvarez, Romero,
        Suárez, Ortiz, Torres, Ruiz, Valencia, Quintero, Restrepo, Castillo, Giraldo, Cardona,
        Osorio, Mejía, Herrera, Zapata, Ospina, Salazar, Arango, Montoya, Londoño, Agudelo,
        Henao, Betancur, Correa, Marín, Patiño, Ríos, Escobar, Cárdenas, Guzmán, Mora, Reyes,
        Medina, Cruz, Parra, Ramos, Rincón, Vásquez, Castaño, Duque, Gil, Ocampo, Velásquez,
        Bedoya, Hurtado, Acosta, Arias, Cortés, Méndez, Peña, Pineda, Rivera, Sierra, Silva,
        Tovar, Uribe, Villa, Aguirre, Benítez, Bernal, Caicedo, Camacho, Carvajal, Delgado,
        Espinosa, Franco, Galeano, Garzón, Guerrero, León, Lozano, Maldonado, Mendoza, Molina,
        Montes, Murillo, Navarro, Niño, Ordóñez, Orozco, Palacio, Pardo, Pulido, Quiroga,
        Rendón, Robledo, Salcedo, Serna, Sepúlveda, Soto, Trujillo, Valderrama, Vega, Vélez,
        Villamizar, Zuluaga, Buitrago, Cuervo, Beltrán, Forero, Gallego, Gaviria, Jaramillo,
        Largo, Lopera, Manrique, Mosquera, Naranjo, Oquendo, Posada, Quiceno, Sanabria, Tabares,
        Toro, Urrego, Yepes, Zambrano, Ariza, Barrera, Bustos, Cano, Cifuentes, Daza, Echeverri,
        Fonseca, Gálvez, Hoyos, Ibarra, Lara, Leal, Mantilla, Mesa, Nieto, Olaya, Pacheco,
        Pabón, Quintana, Rueda, Sarmiento, Tamayo, Useche, Valbuena, Zamora, Alzate, Bohórquez,
        Calderón, Chaparro, Duarte, Estrada, Florez, Insuasty, Jaimes, Lemus
    """),
    "MX": _split("""
        Hernández, García, Martínez, López, González, Pérez, Rodríguez, Sánchez, Ramírez, Cruz,
        Flores, Gómez, Morales, Vázquez, Reyes, Jiménez, Torres, Díaz, Gutiérrez, Ruiz,
        Mendoza, Aguilar, Ortiz, Moreno, Castillo, Romero, Álvarez, Méndez, Chávez, Rivera,
        Juárez, Ramos, Domínguez, Herrera, Medina, Castro, Vargas, Guzmán, Velázquez, Muñoz,
        Rojas, Contreras, Salazar, Luna, Ortega, Santiago, Guerrero, Estrada, Bautista, Cortés,
        Soto, Alvarado, Espinoza, Lara, Ávila, Ríos, Cervantes, Silva, Delgado, Vega, Márquez,
        Sandoval, Fernández, León, Carrillo, Mejía, Solís, Núñez, Rosas, Ibarra, Valdez,
        Campos, Navarro, Maldonado, Rosales, Acosta, Peña, Durán, Trejo, Miranda, Cabrera,
        Valencia, Camacho, Salinas, Zamora, Padilla, Fuentes, Molina, Calderón, Nava, Ayala,
        Pacheco, Escobar, Tapia, Robles, Mora, Orozco, Villa, Zúñiga, Arellano, Barrera, Cano,
        Cárdenas, Galván, Lozano, Montes, Meza, Olvera, Pineda, Quintero, Rangel, Santos,
        Serrano, Trujillo, Valle, Villegas, Zavala, Benítez, Ochoa, De la Cruz, Bravo, Gallegos,
        Velasco, Cisneros, Lugo, Osorio, Palacios, Ponce, Aguirre, Beltrán, Cuevas, Enríquez,
        Franco, Gallardo, Huerta, Lucero, Macías, Mata, Montoya, Ojeda, Páez, Quiroz, Rincón,
        Sosa, Tovar, Uribe, Vera, Zapata, Arriaga, Becerra, Carmona, Cázares, Del Ángel,
        Esquivel, Guevara, Hidalgo, Jaramillo, Ledesma, Magaña, Nieto, Ocampo, Pantoja
    """),
    "ES": _split("""
        García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín,
        Jiménez, Hernández, Ruiz, Díaz, Moreno, Muñoz, Álvarez, Romero, Gutiérrez, Alonso,
        Navarro, Torres, Domínguez, Ramos, Vázquez, Gil, Serrano, Molina, Blanco, Suárez,
        Castro, Ortega, Delgado, Ortiz, Marín, Rubio, Núñez, Sanz, Iglesias, Medina, Garrido,
        Cortés, Castillo, Santos, Lozano, Guerrero, Cano, Prieto, Méndez, Cruz, Calvo, Gallego,
        Vidal, León, Márquez, Herrera, Peña, Flores, Cabrera, Campos, Vega, Fuentes, Carrasco,
        Díez, Caballero, Reyes, Nieto, Aguilar, Pascual, Santana, Herrero, Lorenzo, Montero,
        Hidalgo, Giménez, Ibáñez, Ferrer, Durán, Santiago, Benítez, Mora, Vicente, Vargas,
        Arias, Carmona, Crespo, Román, Pastor, Soto, Sáez, Velasco, Moya, Soler, Parra,
        Esteban, Bravo, Gallardo, Rojas, Pardo, Merino, Franco, Espinosa, Izquierdo, Lara,
        Rivas, Silva, Rivera, Casado, Arroyo, Redondo, Camacho, Rey, Vera, Otero, Luque, Galán,
        Montes, Ríos, Sierra, Segura, Carrillo, Marcos, Soriano, Mendoza, Bernal, Robles, Vila,
        Valero, Palacios, Pereira, Benito, Heredia, Beltrán, Miranda, Varela, Quintana,
        Aguilera, Bermúdez, Cuesta, Estévez, Figueroa, Gimeno, Hurtado, Llorente, Mateo,
        Manzano, Olmedo, Pons, Quiroga, Requena, Salas, Tomás, Urrutia, Villar, Zamora,
        Abad, Barrios, Cid, Duque, Escudero, Fajardo, Guillén, Jurado, Lago, Macías
    """),
    "US": _split("""
        Smith, Johnson, Williams, Brown, Jones, Garcia, Miller, Davis, Rodriguez, Martinez,
        Hernandez, Lopez, Gonzalez, Wilson, Anderson, Thomas, Taylor, Moore, Jackson, Martin,
        Lee, Perez, Thompson, White, Harris, Sanchez, Clark, Ramirez, Lewis, Robinson, Walker,
        Young, Allen, King, Wright, Scott, Torres, Nguyen, Hill, Flores, Green, Adams, Nelson,
        Baker, Hall, Rivera, Campbell, Mitchell, Carter, Roberts, Gomez, Phillips, Evans, Turner,
        Diaz, Parker, Cruz, Edwards, Collins, Reyes, Stewart, Morris, Morales, Murphy, Cook,
        Rogers, Gutierrez, Ortiz, Morgan, Cooper, Peterson, Bailey, Reed, Kelly, Howard, Ramos,
        Kim, Cox, Ward, Richardson, Watson, Brooks, Chavez, Wood, James, Bennett, Gray, Mendoza,
        Ruiz, Hughes, Price, Alvarez, Castillo, Sanders, Patel, Myers, Long, Ross, Foster,
        Jimenez, Powell, Jenkins, Perry, Russell, Sullivan, Bell, Coleman, Butler, Henderson,
        Barnes, Gonzales, Fisher, Vasquez, Simmons, Romero, Jordan, Patterson, Alexander,
        Hamilton, Graham, Reynolds, Griffin, Wallace, Moreno, West, Cole, Hayes, Bryant,
        Herrera, Gibson, Ellis, Tran, Medina, Aguilar, Stevens, Murray, Ford, Castro, Marshall,
        Owens, Harrison, Fernandez, McDonald, Woods, Washington, Kennedy, Wells, Vargas, Henry,
        Chen, Freeman, Webb, Tucker, Guzman, Burns, Crawford, Olson, Simpson, Porter, Hunter,
        Gordon, Mendez, Silva, Shaw, Snyder, Mason, Dixon, Munoz, Hunt, Hicks, Holmes, Palmer,
        Wagner, Black, Robertson, Boyd, Rose, Stone, Salazar, Fox, Warren, Mills, Meyer, Rice,
        Schmidt, Garza, Daniels, Ferguson, Nichols, Stephens, Soto, Weaver, Ryan, Gardner,
        Payne, Grant, Dunn, Kelley, Spencer, Hawkins, Arnold, Pierce, Vazquez, Hansen, Peters,
        Santos, Hart, Bradley, Knight, Elliott, Cunningham, Duncan, Armstrong, Hudson, Carroll,
        Lane, Riley, Andrews, Alvarado, Ray, Delgado, Berry, Perkins, Hoffman, Johnston,
        Matthews, Pena, Richards, Contreras, Willis, Carpenter, Lawrence, Sandoval, O'Brien,
        O'Connor, McCarthy
    """),
}

# --------------------------------------------------------------------------- nicknames
# Our own small table (independent of any normalisation table in cx360): formal → informal.

NICKNAMES: dict[str, tuple[str, ...]] = {
    # Spanish
    "José": ("Pepe", "Chepe", "Pepito"),
    "Francisco": ("Paco", "Pancho", "Kiko", "Frank"),
    "Guadalupe": ("Lupe", "Lupita"),
    "María Guadalupe": ("Lupita", "Lupe"),
    "Jesús": ("Chucho", "Chuy"),
    "Manuel": ("Manolo", "Manu"),
    "Alejandro": ("Alejo", "Álex", "Alex"),
    "Alejandra": ("Ale", "Alejita"),
    "Enrique": ("Quique",),
    "Ignacio": ("Nacho",),
    "Concepción": ("Conchi", "Concha", "Conchita"),
    "Dolores": ("Lola", "Loli"),
    "Rosario": ("Charo",),
    "Carolina": ("Caro",),
    "Daniela": ("Dani",),
    "Daniel": ("Dani", "Danny"),
    "Gabriela": ("Gaby", "Gabi"),
    "Fernando": ("Fer", "Nando"),
    "Fernanda": ("Fer", "Ferchu"),
    "María Fernanda": ("Mafe", "Mafer"),
    "Roberto": ("Beto",),
    "Alberto": ("Beto",),
    "Eduardo": ("Lalo", "Edu"),
    "Antonio": ("Toño", "Toni"),
    "Santiago": ("Santi",),
    "Sebastián": ("Sebas",),
    "Juan Sebastián": ("Sebas",),
    "Valentina": ("Vale",),
    "Catalina": ("Cata",),
    "Mariana": ("Mari",),
    "Margarita": ("Marga", "Magui"),
    "Isabel": ("Isa", "Chabela"),
    "Rafael": ("Rafa",),
    "Ricardo": ("Richi", "Richard"),
    "Luis": ("Lucho",),
    "Guillermo": ("Memo", "Guille"),
    "Refugio": ("Cuca",),
    "Mercedes": ("Meche", "Merche"),
    "Cristina": ("Cris",),
    "Patricia": ("Paty", "Pati"),
    "Beatriz": ("Bea",),
    "Teresa": ("Tere",),
    "Josefa": ("Pepa",),
    "Ramón": ("Moncho",),
    "Javier": ("Javi",),
    "Francisco Javier": ("Javi", "Fran"),
    "Miguel": ("Migue",),
    "María José": ("Majo", "Marijo"),
    "Juan Carlos": ("Juanca", "JC"),
    "Juan Pablo": ("JuanPa", "JP"),
    "Juan Camilo": ("Juanca", "Cami"),
    "Camila": ("Cami",),
    "Camilo": ("Cami",),
    "Montserrat": ("Montse",),
    "Inmaculada": ("Inma",),
    "Encarnación": ("Encarna",),
    "Natalia": ("Nati", "Naty"),
    "Andrés": ("Andy",),
    "Andrés Felipe": ("Pipe", "Andy"),
    "Felipe": ("Pipe",),
    "Jorge": ("Coque",),
    "Lucía": ("Lu", "Luci"),
    "Alfredo": ("Fredy",),
    "Gustavo": ("Tavo",),
    "Salvador": ("Chava",),
    "Rosa": ("Rosita",),
    "Juana": ("Juanita",),
    "Carlos": ("Charlie", "Carlitos"),
    "Pedro": ("Perico",),
    "Mónica": ("Moni",),
    "Verónica": ("Vero",),
    "Adriana": ("Adri",),
    "Claudia": ("Clau",),
    "Paula": ("Pau",),
    "Leticia": ("Lety",),
    "Elizabeth": ("Eli", "Liz", "Beth", "Betty"),
    # English
    "William": ("Bill", "Will", "Billy"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Richard": ("Rick", "Dick", "Rich"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Johnny", "Jack"),
    "Michael": ("Mike", "Mikey"),
    "Margaret": ("Peggy", "Maggie", "Meg"),
    "Jennifer": ("Jen", "Jenny"),
    "Christopher": ("Chris",),
    "Matthew": ("Matt",),
    "Joseph": ("Joe", "Joey"),
    "Thomas": ("Tom", "Tommy"),
    "Charles": ("Charlie", "Chuck"),
    "Anthony": ("Tony",),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Kathleen": ("Kathy",),
    "Rebecca": ("Becky",),
    "Susan": ("Sue", "Suzy"),
    "Deborah": ("Debbie", "Deb"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Steven": ("Steve",),
    "Stephen": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Jessica": ("Jess",),
    "Samantha": ("Sam",),
    "Samuel": ("Sam",),
    "Alexander": ("Alex",),
    "Benjamin": ("Ben",),
    "Nicholas": ("Nick",),
    "Timothy": ("Tim",),
    "Kimberly": ("Kim",),
    "Kenneth": ("Ken", "Kenny"),
    "Ronald": ("Ron", "Ronnie"),
    "Donald": ("Don", "Donnie"),
    "Patrick": ("Pat",),
    "Gregory": ("Greg",),
    "Jeffrey": ("Jeff",),
    "Jonathan": ("Jon",),
    "Zachary": ("Zach",),
    "Lawrence": ("Larry",),
    "Gerald": ("Jerry",),
    "Raymond": ("Ray",),
    "Dorothy": ("Dot", "Dottie"),
    "Barbara": ("Barb",),
    "Pamela": ("Pam",),
    "Cynthia": ("Cindy",),
    "Christine": ("Chris", "Chrissy"),
    "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abby",),
    "Jacqueline": ("Jackie",),
    "Judith": ("Judy",),
    "Theresa": ("Terry",),
    "Frances": ("Fran",),
}

# --------------------------------------------------------------------------- places


class City(NamedTuple):
    """A city of a market: display name, weight, spellings seen in data, phone areas."""

    name: str
    weight: float
    aliases: tuple[str, ...]
    # CO: landline prefix "60x"; MX: area codes; ES: landline prefixes; US: area codes.
    areas: tuple[str, ...]
    # MX: CURP state code of the city's state; other markets: state / region abbreviation.
    state: str


CITIES: dict[str, tuple[City, ...]] = {
    "CO": (
        City(
            "Bogotá",
            30,
            ("Bogota", "BOGOTA", "Bogotá D.C.", "Bogotá, D.C.", "BOGOTA D.C."),
            ("601",),
            "DC",
        ),
        City("Medellín", 14, ("Medellin", "MEDELLIN", "Medellín, Antioquia"), ("604",), "ANT"),
        City("Cali", 11, ("CALI", "Santiago de Cali", "Cali, Valle"), ("602",), "VAC"),
        City(
            "Barranquilla",
            7,
            ("BARRANQUILLA", "B/quilla", "Barranquilla, Atlántico"),
            ("605",),
            "ATL",
        ),
        City("Cartagena", 5, ("CARTAGENA", "Cartagena de Indias"), ("605",), "BOL"),
        City("Bucaramanga", 5, ("BUCARAMANGA", "B/manga"), ("607",), "SAN"),
        City("Cúcuta", 4, ("Cucuta", "CUCUTA"), ("607",), "NSA"),
        City("Pereira", 3, ("PEREIRA",), ("606",), "RIS"),
        City("Ibagué", 3, ("Ibague", "IBAGUE"), ("608",), "TOL"),
        City("Santa Marta", 3, ("SANTA MARTA", "Sta Marta"), ("605",), "MAG"),
        City("Manizales", 2, ("MANIZALES",), ("606",), "CAL"),
        City("Villavicencio", 2, ("VILLAVICENCIO", "Villavo"), ("608",), "MET"),
        City("Pasto", 2, ("PASTO", "San Juan de Pasto"), ("602",), "NAR"),
        City("Bello", 2, ("BELLO",), ("604",), "ANT"),
        City("Soacha", 2, ("SOACHA",), ("601",), "CUN"),
        City("Envigado", 1, ("ENVIGADO",), ("604",), "ANT"),
        City("Armenia", 1, ("ARMENIA",), ("606",), "QUI"),
        City("Neiva", 1, ("NEIVA",), ("608",), "HUI"),
        City("Montería", 1, ("Monteria", "MONTERIA"), ("604",), "COR"),
        City("Tunja", 1, ("TUNJA",), ("608",), "BOY"),
    ),
    "MX": (
        City(
            "Ciudad de México",
            25,
            (
                "CDMX",
                "Cd. de México",
                "Ciudad de Mexico",
                "CIUDAD DE MEXICO",
                "México D.F.",
                "Mexico DF",
            ),
            ("55",),
            "DF",
        ),
        City("Guadalajara", 9, ("GUADALAJARA", "Guadalajara, Jal.", "GDL"), ("33",), "JC"),
        City("Monterrey", 8, ("MONTERREY", "Monterrey, N.L.", "MTY"), ("81",), "NL"),
        City("Puebla", 5, ("PUEBLA", "Puebla de Zaragoza", "Heroica Puebla"), ("222",), "PL"),
        City("Tijuana", 4, ("TIJUANA", "Tijuana, B.C."), ("664",), "BC"),
        City("León", 4, ("Leon", "LEON", "León de los Aldama"), ("477",), "GT"),
        City("Querétaro", 3, ("Queretaro", "QUERETARO", "Santiago de Querétaro"), ("442",), "QT"),
        City("Mérida", 3, ("Merida", "MERIDA"), ("999",), "YN"),
        City("Zapopan", 3, ("ZAPOPAN", "Zapopan, Jal."), ("33",), "JC"),
        City("Ciudad Juárez", 3, ("Cd. Juárez", "Ciudad Juarez", "CD JUAREZ"), ("656",), "CH"),
        City("San Luis Potosí", 2, ("San Luis Potosi", "SLP"), ("444",), "SP"),
        City("Aguascalientes", 2, ("AGUASCALIENTES", "Ags."), ("449",), "AS"),
        City("Toluca", 2, ("TOLUCA", "Toluca de Lerdo"), ("722",), "MC"),
        City("Cancún", 2, ("Cancun", "CANCUN"), ("998",), "QR"),
        City("Chihuahua", 2, ("CHIHUAHUA",), ("614",), "CH"),
        City("Hermosillo", 2, ("HERMOSILLO",), ("662",), "SR"),
        City("Morelia", 2, ("MORELIA",), ("443",), "MN"),
        City("Veracruz", 2, ("VERACRUZ", "H. Veracruz"), ("229",), "VZ"),
        City("Culiacán", 2, ("Culiacan", "CULIACAN"), ("667",), "SL"),
        City("Oaxaca", 1, ("OAXACA", "Oaxaca de Juárez"), ("951",), "OC"),
        City("Saltillo", 1, ("SALTILLO",), ("844",), "CL"),
        City("Ecatepec", 2, ("ECATEPEC", "Ecatepec de Morelos"), ("55",), "MC"),
        City("Naucalpan", 1, ("NAUCALPAN", "Naucalpan de Juárez"), ("55",), "MC"),
    ),
    "ES": (
        City("Madrid", 22, ("MADRID",), ("91",), "M"),
        City("Barcelona", 15, ("BARCELONA", "Barna"), ("93",), "B"),
        City("Valencia", 7, ("VALENCIA", "València"), ("96",), "V"),
        City("Sevilla", 6, ("SEVILLA", "Seville"), ("954", "955"), "SE"),
        City("Zaragoza", 5, ("ZARAGOZA",), ("976",), "Z"),
        City("Málaga", 5, ("Malaga", "MALAGA"), ("952",), "MA"),
        City("Murcia", 4, ("MURCIA",), ("968",), "MU"),
        City("Palma", 3, ("Palma de Mallorca", "PALMA"), ("971",), "PM"),
        City("Las Palmas de Gran Canaria", 3, ("Las Palmas", "LAS PALMAS"), ("928",), "GC"),
        City("Bilbao", 3, ("BILBAO", "Bilbo"), ("944",), "BI"),
        City("Alicante", 3, ("ALICANTE", "Alacant"), ("965",), "A"),
        City("Córdoba", 3, ("Cordoba", "CORDOBA"), ("957",), "CO"),
        City("Valladolid", 3, ("VALLADOLID",), ("983",), "VA"),
        City("Vigo", 2, ("VIGO",), ("986",), "PO"),
        City("Gijón", 2, ("Gijon", "GIJON", "Xixón"), ("985",), "O"),
        City("Granada", 2, ("GRANADA",), ("958",), "GR"),
        City("L'Hospitalet de Llobregat", 2, ("Hospitalet", "L'Hospitalet"), ("93",), "B"),
        City("A Coruña", 2, ("La Coruña", "Coruña", "A CORUÑA"), ("981",), "C"),
    ),
    "US": (
        City(
            "New York",
            16,
            ("NEW YORK", "New York City", "NYC", "Brooklyn", "Bronx"),
            ("212", "646", "917", "718", "347"),
            "NY",
        ),
        City(
            "Los Angeles",
            12,
            ("LOS ANGELES", "LA", "Los Angeles, CA"),
            ("213", "310", "323", "818"),
            "CA",
        ),
        City("Chicago", 7, ("CHICAGO", "Chicago, IL"), ("312", "773", "872"), "IL"),
        City("Houston", 7, ("HOUSTON", "Houston, TX"), ("713", "281", "832"), "TX"),
        City("Phoenix", 4, ("PHOENIX",), ("602", "480"), "AZ"),
        City("Philadelphia", 4, ("PHILADELPHIA", "Philly"), ("215", "267"), "PA"),
        City("San Antonio", 5, ("SAN ANTONIO", "San Antonio, TX"), ("210",), "TX"),
        City("San Diego", 4, ("SAN DIEGO",), ("619", "858"), "CA"),
        City("Dallas", 5, ("DALLAS",), ("214", "469", "972"), "TX"),
        City("Miami", 6, ("MIAMI", "Miami, FL"), ("305", "786"), "FL"),
        City("Austin", 3, ("AUSTIN",), ("512", "737"), "TX"),
        City("Jacksonville", 2, ("JACKSONVILLE",), ("904",), "FL"),
        City("San Jose", 2, ("SAN JOSE", "San José"), ("408",), "CA"),
        City("Seattle", 2, ("SEATTLE",), ("206",), "WA"),
        City("Denver", 2, ("DENVER",), ("303", "720"), "CO"),
        City("Atlanta", 3, ("ATLANTA",), ("404", "678", "470"), "GA"),
        City("Boston", 2, ("BOSTON",), ("617", "857"), "MA"),
        City("Las Vegas", 2, ("LAS VEGAS",), ("702", "725"), "NV"),
        City("Orlando", 2, ("ORLANDO",), ("407", "321"), "FL"),
        City("El Paso", 2, ("EL PASO",), ("915",), "TX"),
        City("Albuquerque", 1, ("ALBUQUERQUE",), ("505",), "NM"),
        City("Tucson", 1, ("TUCSON",), ("520",), "AZ"),
        City("Fresno", 1, ("FRESNO",), ("559",), "CA"),
        City("Sacramento", 1, ("SACRAMENTO",), ("916",), "CA"),
        City("Charlotte", 1, ("CHARLOTTE",), ("704", "980"), "NC"),
        City("Nashville", 1, ("NASHVILLE",), ("615",), "TN"),
    ),
}

CO_MOBILE_PREFIXES = _split("""
    300, 301, 302, 304, 305, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321, 322,
    323, 350, 351
""")

# CURP state codes (birth entity).
MX_STATES = _split("""
    AS, BC, BS, CC, CL, CM, CS, CH, DF, DG, GT, GR, HG, JC, MC, MN, MS, NT, NL, OC, PL, QT, QR,
    SP, SL, SR, TC, TS, TL, VZ, YN, ZS
""")

# Four-letter words RENAPO replaces (second letter becomes X). A representative subset.
CURP_BAD_WORDS = frozenset(
    _split("""
    BACA, BAKA, BUEI, BUEY, CACA, CACO, CAGA, CAGO, CAKA, CAKO, COGE, COGI, COJA, COJE, COJI,
    COJO, COLA, CULO, FALO, FETO, GETA, GUEI, GUEY, JETA, JOTO, KACA, KACO, KAGA, KAGO, KAKA,
    KAKO, KOGE, KOGI, KOJA, KOJE, KOJI, KOJO, KOLA, KULO, LILO, LOCA, LOCO, LOKA, LOKO, MAME,
    MAMO, MEAR, MEAS, MEON, MIAR, MION, MOCO, MOKO, MULA, MULO, NACA, NACO, PEDA, PEDO, PENE,
    PIPI, PITO, POPO, PUTA, PUTO, QULO, RATA, ROBA, ROBE, ROBO, RUIN, SENO, TETA, VACA, VAGA,
    VAGO, VAKA, VUEI, VUEY, WUEI, WUEY
""")
)

MX_STREET_NAMES = _split("""
    Insurgentes Sur, Insurgentes Norte, Paseo de la Reforma, Benito Juárez, Miguel Hidalgo,
    Morelos, Francisco I. Madero, Revolución, Universidad, 5 de Mayo, 16 de Septiembre,
    Independencia, Zaragoza, Allende, Vallarta, Constitución, Lázaro Cárdenas, Patriotismo,
    Calzada de Tlalpan, Chapultepec, Las Flores, Los Pinos, Nogal, Fresno, Cedro, Roble,
    Jacarandas, Emiliano Zapata, Venustiano Carranza, Álvaro Obregón, Guerrero, Aldama,
    Matamoros, Niños Héroes, Vicente Guerrero, Juan Escutia, Colón, Cuauhtémoc, Obregón,
    Hidalgo, Ocampo, Abasolo, Galeana, Guadalupe Victoria, Moctezuma, Sor Juana Inés de la Cruz,
    Río Mixcoac, Río Churubusco, División del Norte, Eje Central, Periférico Sur, Ignacio Zaragoza
""")

MX_COLONIAS = _split("""
    Centro, Del Valle, Roma Norte, Roma Sur, Condesa, Polanco, Narvarte, Nápoles, Doctores,
    Obrera, Lindavista, Escandón, Portales, Agrícola Oriental, San Rafael, Santa María la Ribera,
    Jardines del Bosque, Americana, Providencia, Chapultepec, Obispado, Mitras Centro,
    Las Águilas, Moderna, Industrial, Guadalupe, Juárez, Tabacalera, Country Club, Lomas Verdes,
    Las Arboledas, Villa de las Flores, Jardines de San Manuel, El Mirador, La Joya, San Pedro,
    Santa Fe, Bosques de las Lomas, Ciudad Satélite, Valle Dorado, Residencial San Agustín,
    Infonavit, Ampliación Guadalupe, Emiliano Zapata, Benito Juárez, Hidalgo, Reforma, Lomas
""")

ES_STREET_NAMES = _split("""
    Mayor, Real, Alcalá, Gran Vía, la Constitución, la Iglesia, San Juan, Sol, la Luna, Cervantes,
    Goya, Velázquez, Serrano, Toledo, la Princesa, Colón, la Libertad, la Paz, Castilla,
    Andalucía, Valencia, Aragón, Balmes, Mallorca, Provença, Gràcia, Sants, Triana, la Feria,
    Larios, Santa Ana, Nueva, Ancha, del Carmen, la Fuente, del Pilar, las Flores, San Francisco,
    San Vicente, Doctor Fleming, Ramón y Cajal, Blasco Ibáñez, Pintor Sorolla, Reyes Católicos,
    Antonio Machado, García Lorca, Miguel Hernández, Juan de Austria, Santa Teresa, Bravo Murillo,
    Fuencarral, Atocha, Arturo Soria, Marqués de Larios, Colón, Sagasta, Independencia,
    Ortega y Gasset, Jorge Juan, Príncipe de Vergara, Diagonal, Aribau, Muntaner, Urgell
""")

US_STREET_NAMES = _split("""
    Main, Oak, Pine, Maple, Cedar, Elm, Washington, Lake, Hill, Park, Sunset, Lincoln, Jackson,
    Church, Highland, Madison, Jefferson, Walnut, Willow, Spring, River, Ridge, Franklin,
    Chestnut, Center, Lakeview, Forest, Meadow, 1st, 2nd, 3rd, 4th, 5th, 6th, 7th, 8th, 10th,
    12th, Broadway, Market, Union, Mill, College, Adams, Dogwood, Hickory, Magnolia, Poplar,
    Sycamore, Birch, Laurel, Valley, Prospect, Grove, Pleasant, Cherry, Locust, Summit, Bayview,
    Ocean, Cypress, Palm, Mesa Verde, Santa Rosa, Rio Grande, Del Mar, Juniper, Aspen
""")

# --------------------------------------------------------------------------- email

# (domain, weight) per market. A few fictional employer domains at low weight.
EMAIL_DOMAINS: dict[str, tuple[tuple[str, float], ...]] = {
    "CO": (
        ("gmail.com", 58),
        ("hotmail.com", 18),
        ("outlook.com", 6),
        ("yahoo.com", 4),
        ("yahoo.es", 3),
        ("hotmail.es", 2),
        ("icloud.com", 2),
        ("une.net.co", 1.5),
        ("etb.net.co", 1),
        ("live.com", 1.5),
        ("grupoandino.com.co", 1),
        ("cooperativasur.co", 1),
    ),
    "MX": (
        ("gmail.com", 55),
        ("hotmail.com", 22),
        ("outlook.com", 7),
        ("yahoo.com.mx", 5),
        ("live.com.mx", 3),
        ("icloud.com", 3),
        ("prodigy.net.mx", 2),
        ("yahoo.com", 1.5),
        ("comercializadoranorte.mx", 1),
        ("grupoaltiplano.com.mx", 0.5),
    ),
    "ES": (
        ("gmail.com", 55),
        ("hotmail.com", 12),
        ("hotmail.es", 8),
        ("outlook.es", 5),
        ("yahoo.es", 5),
        ("telefonica.net", 3),
        ("icloud.com", 4),
        ("movistar.es", 2),
        ("outlook.com", 3),
        ("ono.com", 1),
        ("consultoraiberica.es", 1),
        ("talleresdelnorte.es", 1),
    ),
    "US": (
        ("gmail.com", 50),
        ("yahoo.com", 14),
        ("outlook.com", 6),
        ("hotmail.com", 8),
        ("icloud.com", 9),
        ("aol.com", 4),
        ("comcast.net", 3),
        ("att.net", 2),
        ("msn.com", 1.5),
        ("verizon.net", 1),
        ("midwestlogistics.com", 0.8),
        ("harborhealthgroup.org", 0.7),
    ),
}

FAMILY_EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "CO": ("gmail.com", "hotmail.com", "yahoo.com", "une.net.co"),
    "MX": ("gmail.com", "hotmail.com", "yahoo.com.mx", "prodigy.net.mx"),
    "ES": ("gmail.com", "hotmail.com", "telefonica.net", "yahoo.es"),
    "US": ("gmail.com", "yahoo.com", "aol.com", "comcast.net"),
}

# Values agents type when the customer has none (or will not give one).
EMAIL_PLACEHOLDERS = _split("""
    noemail@noemail.com, na@na.com, sincorreo@gmail.com, no@tiene.com, notiene@notiene.com,
    correo@correo.com, ninguno@gmail.com, no@no.com, sinmail@sinmail.com, xx@xx.com,
    none@none.com, noemail@gmail.com, a@a.com
""")
PHONE_PLACEHOLDERS = _split("""
    0000000000, 5555555555, 1234567, 9999999999, 1111111111, 0000000, 1234567890, 3000000000,
    000-000-0000, 999-999-9999
""")
ID_PLACEHOLDERS = _split("""
    0000000, 00000000, 1234567, 11111111, 999999999, 1111111111, 123456789, 0, 000000000
""")
DOB_PLACEHOLDERS = _split("01/01/1900, 1900-01-01, 01/01/2000, 1/1/1900, 11/11/1111")

EMOJIS = _split("🌸, ✨, 💕, 😊, 🙏, ⚽, 💙, 🦋, 😎, 🔥, 🌻, 🎶, 💪, ❤️, 🌹, 🙌")
FLAGS = {"CO": "🇨🇴", "MX": "🇲🇽", "ES": "🇪🇸", "US": "🇺🇸"}

SPANISH_MONTHS = _split("""
    enero, febrero, marzo, abril, mayo, junio, julio, agosto, septiembre, octubre, noviembre,
    diciembre
""")
ENGLISH_MONTHS = _split("""
    January, February, March, April, May, June, July, August, September, October, November,
    December
""")

# --------------------------------------------------------------------------- typing noise
_ROWS = ("qwertyuiop", "asdfghjklñ", "zxcvbnm")


def _neighbours() -> dict[str, str]:
    out: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            near = []
            if c > 0:
                near.append(row[c - 1])
            if c + 1 < len(row):
                near.append(row[c + 1])
            for dr in (-1, 1):
                rr = r + dr
                if 0 <= rr < len(_ROWS):
                    other = _ROWS[rr]
                    for cc in (c - 1, c, c + 1):
                        if 0 <= cc < len(other):
                            near.append(other[cc])
            out[ch] = "".join(near)
    return out


KEYBOARD_NEIGHBOURS: dict[str, str] = _neighbours()

# --------------------------------------------------------------------------- interactions
# Templates per language and interaction type. "{n}" is an order/ticket number, "{amt}" an
# amount in local currency, "{item}" a product kind. No personal data ever goes in here.

SUMMARIES: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "inquiry": (
            "Consulta estado del pedido {n}",
            "Pregunta por horarios de atención de la tienda",
            "Consulta disponibilidad de {item}",
            "Solicita información sobre garantía de {item}",
            "Pregunta por medios de pago y cuotas",
            "Consulta costo de envío a domicilio",
            "Solicita factura electrónica de la compra {n}",
            "Pregunta cómo actualizar sus datos",
        ),
        "complaint": (
            "Reclamo por cobro duplicado en la tarjeta",
            "Reclamo: el pedido {n} llegó incompleto",
            "Producto {item} llegó con defectos",
            "Queja por demora en la entrega del pedido {n}",
            "Reclamo por mala atención en tienda",
            "Solicita reembolso del pedido {n}",
            "No ha recibido respuesta a su solicitud anterior",
        ),
        "case": (
            "Seguimiento del caso: cliente solicita novedad",
            "Se escala el caso al área de logística",
            "Cliente envía soporte de pago",
            "Se programa visita técnica para {item}",
            "Caso en revisión por el área de facturación",
            "Se confirma reembolso, pendiente de abono",
        ),
        "contact": (
            "Cliente se comunica para seguimiento",
            "Cliente devuelve la llamada",
            "Mensaje recibido fuera de horario",
            "Cliente confirma recepción de la información",
            "Contacto para actualizar datos",
        ),
        "purchase": (
            "Compra de {k} artículos por {amt}",
            "Compra de {item} por {amt}",
            "Pedido {n} confirmado por {amt}",
        ),
        "return": (
            "Devolución de {item} del pedido {n}",
            "Cambio de talla de {item}",
        ),
        "feedback": (
            "Cliente felicita al equipo por la atención",
            "Comentario sobre la nueva app",
            "Sugerencia sobre horarios de la tienda",
        ),
    },
    "en": {
        "inquiry": (
            "Asked about status of order {n}",
            "Asked about store opening hours",
            "Asked whether {item} is in stock",
            "Asked about warranty for {item}",
            "Asked about payment options",
            "Asked about delivery fees",
            "Requested invoice for order {n}",
            "Asked how to update account details",
        ),
        "complaint": (
            "Complaint: card charged twice",
            "Complaint: order {n} arrived incomplete",
            "{item} arrived damaged",
            "Complaint about late delivery of order {n}",
            "Complaint about in-store service",
            "Requests refund for order {n}",
            "No reply to previous request",
        ),
        "case": (
            "Case follow-up: customer asks for an update",
            "Case escalated to logistics",
            "Customer sent proof of payment",
            "Technician visit scheduled for {item}",
            "Case under review by billing",
            "Refund confirmed, pending payout",
        ),
        "contact": (
            "Customer called back for follow-up",
            "Customer returned our call",
            "Message received after hours",
            "Customer confirmed receipt of information",
            "Contact to update account details",
        ),
        "purchase": (
            "Purchase of {k} items for {amt}",
            "Purchase of {item} for {amt}",
            "Order {n} confirmed for {amt}",
        ),
        "return": (
            "Return of {item} from order {n}",
            "Size exchange for {item}",
        ),
        "feedback": (
            "Customer praised the service",
            "Feedback about the new app",
            "Suggestion about store hours",
        ),
    },
}

ITEMS: dict[str, tuple[str, ...]] = {
    "es": (
        "nevera",
        "televisor",
        "celular",
        "portátil",
        "licuadora",
        "zapatos",
        "chaqueta",
        "colchón",
        "lavadora",
        "audífonos",
        "tablet",
        "bicicleta",
        "horno microondas",
    ),
    "en": (
        "refrigerator",
        "TV",
        "phone",
        "laptop",
        "blender",
        "shoes",
        "jacket",
        "mattress",
        "washer",
        "headphones",
        "tablet",
        "bicycle",
        "microwave",
    ),
}
